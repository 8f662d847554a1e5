package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var updateSteps = flag.Bool("update_steps", false, "rewrite testdata/streaming_steps.txt from the streaming graph")

// dryRun builds this binary and runs it with Dataflow's --dry_run, which
// translates the pipeline into the Dataflow job without submitting it, and
// returns what it printed: the Beam pipeline proto and the job.
func dryRun(t *testing.T, flags ...string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "clickstream")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	worker := filepath.Join(dir, "worker")
	if err := os.WriteFile(worker, []byte("stand-in for the linux/amd64 worker binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{
		"--runner=dataflow", "--dry_run", "--project=demo-project", "--region=europe-west1",
		"--staging_location=gs://demo-bucket/staging", "--temp_location=gs://demo-bucket/tmp",
		"--worker_binary=" + worker, "--sink=bigquery", "--bq_project=demo-project", "--bq_dataset=clickstream",
		"--hash_key=secret:projects/demo-project/secrets/clickstream-hash-key/versions/1", "--output=" + dir,
	}, flags...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	// The proto is logged as text inside a quoted log field.
	return strings.ReplaceAll(string(out), `\"`, `"`)
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("job graph lacks %q", w)
		}
	}
}

// TestDryRunStreaming checks the streaming job Dataflow would run: Beam's
// native Pub/Sub read of the subscription with the timestamp attribute, the
// session windowing (30 min gap, 6 h allowed lateness, a late firing per
// late event, accumulating panes), and a Storage Write API sink per table.
func TestDryRunStreaming(t *testing.T) {
	out := dryRun(t, "--mode=streaming", "--subscription=clickstream", "--timestamp_attribute=event_time")
	mustContain(t, out,
		`"JOB_TYPE_STREAMING"`,
		`urn:"beam:transform:pubsub_read:v1"`,
		`projects/demo-project/subscriptions/clickstream`,
		`event_time`,
	)
	// The session windowing strategy: a 30-minute gap (a proto Duration of
	// 1800 s, varint 0x88 0x0e), the end-of-window trigger with a firing per
	// late event, accumulating panes, 6 h (21,600,000 ms) allowed lateness.
	session := regexp.MustCompile(`window_fn:\{urn:"beam:window_fn:session_windows:v1"\s+payload:"\\\\n\\\\x03\\\\x08\\\\x88\\\\x0e"\}` +
		`\s+merge_status:NEEDS_MERGE\s+window_coder_id:"\w+"\s+` +
		`trigger:\{after_end_of_window:\{early_firings:\{default:\{\}\}\s+late_firings:\{always:\{\}\}\}\}\s+` +
		`accumulation_mode:ACCUMULATING\s+output_time:END_OF_WINDOW\s+closing_behavior:EMIT_IF_NONEMPTY\s+allowed_lateness:21600000`)
	if !session.MatchString(out) {
		i := strings.Index(out, "session_windows:v1")
		t.Errorf("session windowing strategy not as configured; the graph has: %.400s", out[max(i, 0):])
	}
	for _, table := range []string{"fact_events", "bot_events", "dead_letter", "fact_sessions", "reconciliation"} {
		mustContain(t, out, `unique_name:"write_`+table+`/storagewrite.Append`)
	}
	if strings.Contains(out, "warehouse.Append") || strings.Contains(out, "pubsub.readFn") {
		t.Error("the Dataflow job holds a local-only transform")
	}
}

// TestStreamingStepNames checks the streaming job's step names against
// testdata/streaming_steps.txt. Dataflow updates a running job in place
// (make update) by matching its steps by these names: a change to the
// list is a change that make update cannot take without a
// TRANSFORM_MAPPING of each old name to its new one (or a drain and a new
// deploy). Run go test -run TestStreamingStepNames -update_steps to accept a
// change on purpose.
func TestStreamingStepNames(t *testing.T) {
	out := dryRun(t, "--mode=streaming", "--subscription=clickstream", "--timestamp_attribute=event_time")
	var got []string
	for _, m := range stepName.FindAllStringSubmatch(out, -1) {
		got = append(got, m[1])
	}
	slices.Sort(got)
	got = slices.Compact(got)
	const file = "testdata/streaming_steps.txt"
	if *updateSteps {
		if err := os.WriteFile(file, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(b))
	for _, name := range got {
		if !slices.Contains(want, name) {
			t.Errorf("new step %q", name)
		}
	}
	for _, name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("step %q is gone", name)
		}
	}
}

// stepName matches a transform of the pipeline proto and its name.
var stepName = regexp.MustCompile(`transforms:\{key:"\w+"\s+value:\{unique_name:"([^"]+)"`)

// TestDryRunBatch checks the batch job: files read with fileio, one
// BigQuery load per table for the dates given, after the stage that marks
// them pending, and the last stage, which runs the models, after every
// load.
func TestDryRunBatch(t *testing.T) {
	out := dryRun(t, "--input=gs://demo-landing/raw/dt=2026-11-01/*", "--dates=2026-11-01")
	mustContain(t, out, `"JOB_TYPE_BATCH"`, `gs://demo-landing/raw/dt=2026-11-01/*`)
	for _, table := range []string{"fact_events", "bot_events", "dead_letter", "fact_sessions"} {
		mustContain(t, out, `unique_name:"write_`+table+`/bigquery.Load`)
	}
	if regexp.MustCompile(`pubsub|window_fn:session_windows`).MatchString(out) {
		t.Error("the batch job reads Pub/Sub or uses session windows")
	}
	// The order of the BigQuery stages: the owned dates marked pending,
	// then every load, then the last stage (the dimension step's models as
	// query jobs, the read-back and the run's account), which reads every
	// load's results.
	g := parseGraph(out)
	finish := g.upstream("finish_bigquery/pipelines.finishFn")
	for _, table := range []string{"fact_events", "bot_events", "dead_letter", "fact_sessions"} {
		load := "write_" + table + "/bigquery.Load/bqwarehouse.loadFn"
		if !finish[load] {
			t.Errorf("the last stage does not wait for %s", load)
		}
		if !g.upstream(load)["bigquery.Pending/bqwarehouse.pendingFn"] {
			t.Errorf("%s does not wait for the dates to be marked pending", load)
		}
	}
}

// graph is the job's transforms, as the dry run prints the pipeline proto:
// the PCollections each reads and writes.
type graph struct {
	inputs    map[string][]string
	producers map[string][]string
}

var (
	transformName = regexp.MustCompile(`unique_name:"`)
	edge          = regexp.MustCompile(`(inputs|outputs):\{key:"\w+"\s+value:"(\w+)"\}`)
)

func parseGraph(out string) graph {
	g := graph{inputs: map[string][]string{}, producers: map[string][]string{}}
	starts := transformName.FindAllStringIndex(out, -1)
	for i, st := range starts {
		end := len(out)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		chunk := out[st[1]:end]
		name := chunk[:strings.IndexByte(chunk, '"')]
		for _, m := range edge.FindAllStringSubmatch(chunk, -1) {
			if m[1] == "inputs" {
				g.inputs[name] = append(g.inputs[name], m[2])
			} else {
				g.producers[m[2]] = append(g.producers[m[2]], name)
			}
		}
	}
	return g
}

// upstream is every transform whose output name's transform reads,
// directly or through others.
func (g graph) upstream(name string) map[string]bool {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		for _, pc := range g.inputs[n] {
			for _, p := range g.producers[pc] {
				if !seen[p] {
					seen[p] = true
					visit(p)
				}
			}
		}
	}
	visit(name)
	return seen
}
