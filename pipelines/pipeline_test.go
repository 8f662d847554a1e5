package pipelines

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function2x0(dropEveryTenth)
	register.Emitter1[schemas.Event]()
}

// sample is the package's shared sample, generated once by TestMain
// (generating takes a few seconds) and read by the tests that need no
// sample of their own.
var sample *generated

// TestMain generates the shared sample, runs the tests (on Prism) and
// removes the sample and the clickstream binary the tests built.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clickstream-e2e-")
	if err == nil {
		sample, err = newGenerated(dir)
	}
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "shared sample:", err)
	} else {
		code = ptest.MainRet(m)
	}
	_ = os.RemoveAll(dir)
	if clickstreamBinary.path != "" {
		_ = os.RemoveAll(filepath.Dir(clickstreamBinary.path))
	}
	os.Exit(code)
}

// generated is a sample made by tools/generate, with its truth.
type generated struct {
	dir   string
	truth []groundtruth.Record
}

// newGenerated generates the shared sample (groundtruth.GenerateShared)
// into dir.
func newGenerated(dir string) (*generated, error) {
	if err := groundtruth.GenerateShared(dir); err != nil {
		return nil, err
	}
	truth, err := groundtruth.Read(dir)
	if err != nil {
		return nil, err
	}
	return &generated{dir: dir, truth: truth}, nil
}

// generateSample generates a sample into dir with the generator's flags and
// returns its truth.
func generateSample(t *testing.T, dir string, flags ...string) []groundtruth.Record {
	t.Helper()
	if err := groundtruth.Generate(dir, flags...); err != nil {
		t.Fatal(err)
	}
	truth, err := groundtruth.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return truth
}

func (g *generated) config(t *testing.T) Config {
	t.Setenv("CLICKSTREAM_E2E_KEY", "e2e-test-key")
	return Config{
		Input:      []string{filepath.Join(g.dir, "raw", "*", "*")},
		Output:     t.TempDir(),
		HashKeyRef: "env:CLICKSTREAM_E2E_KEY",
		BotIPFile:  filepath.Join(g.dir, "bot_ip_denylist.txt"),
		Shards:     16,
		// As a local run does: the per-device stage in rounds.
		DeviceRounds: 4,
	}
}

// runReconciled runs c and fails the test unless the run reconciles.
func runReconciled(t *testing.T, c Config) *runsummary.Summary {
	t.Helper()
	sum, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Reconciled {
		t.Fatalf("run %s not reconciled: %v", sum.RunID, sum.Problems)
	}
	return sum
}

// outcome is where the pipeline put one input record.
type outcome struct{ kind, detail, date string }

// TestEndToEndGroundTruth runs the batch pipeline on generated data and
// checks every record's outcome against the generator's ground truth, which
// is computed without any of the pipeline's code.
func TestEndToEndGroundTruth(t *testing.T) {
	g := sample
	c := g.config(t)
	sum := runReconciled(t, c)
	if want := int64(len(g.truth)); sum.InputRecords != want {
		t.Errorf("input_records = %d, truth has %d records", sum.InputRecords, want)
	}

	got := outcomes(t, c.Output, g.dir)
	wantCounts := map[string]int64{}
	mismatches := 0
	for _, r := range g.truth {
		wantCounts[r.Outcome]++
		var want outcome
		switch r.Outcome {
		case "event":
			want = outcome{"event", "", r.EventDate}
		case "bot":
			want = outcome{"bot", r.BotRule, r.EventDate}
		case "dead_letter":
			want = outcome{"dead_letter", r.Reason, r.DeadLetterDate}
		case "duplicate":
			if _, stored := got[r.Key()]; stored {
				t.Errorf("%s: a duplicate was stored as %+v", r.Key(), got[r.Key()])
			}
			continue
		default:
			t.Fatalf("unknown truth outcome %q", r.Outcome)
		}
		if g := got[r.Key()]; g != want {
			if mismatches++; mismatches <= 20 {
				t.Errorf("%s (%s): got %+v, want %+v", r.Key(), r.EventID, g, want)
			}
		}
		delete(got, r.Key())
	}
	if mismatches > 0 {
		t.Errorf("%d records disagree with the truth", mismatches)
	}
	if len(got) > 0 {
		t.Errorf("%d stored rows have no truth record, e.g. %v", len(got), firstKeys(got, 5))
	}
	if sum.Duplicates != wantCounts["duplicate"] {
		t.Errorf("duplicates = %d, truth %d", sum.Duplicates, wantCounts["duplicate"])
	}
	for _, kind := range []string{"event", "bot", "dead_letter", "duplicate"} {
		if wantCounts[kind] == 0 {
			t.Errorf("the sample has no %s records: the test proves nothing about them", kind)
		}
	}
	t.Logf("truth: %v; summary: events %d, duplicates %d, bots %v, dead letter %v",
		wantCounts, sum.Events, sum.Duplicates, sum.Bots, sum.DeadLetter)
	checkSessions(t, c.Output, g)
}

// checkSessions compares the sessions with the truth: the same number, and
// each truth session's events are exactly the events of one session_id
// (membership, including sessions across midnight, runaway splits and
// devices of multi-device users), whose fact_sessions row counts them.
func checkSessions(t *testing.T, out string, g *generated) {
	t.Helper()
	sessionOf := sessionsByRecord(t, out, g.dir)
	truthToPipeline := map[string]string{}
	pipelineToTruth := map[string]string{}
	truthSize := map[string]int64{}
	bad := 0
	for _, r := range g.truth {
		if r.Outcome != "event" {
			continue
		}
		truthSize[r.Session]++
		got := sessionOf[r.Key()]
		if prev, ok := truthToPipeline[r.Session]; ok && prev != got || got == "" {
			if bad++; bad <= 10 {
				t.Errorf("truth session %s: event %s is in session %q, others in %q", r.Session, r.Key(), got, prev)
			}
			continue
		}
		truthToPipeline[r.Session] = got
		if prev, ok := pipelineToTruth[got]; ok && prev != r.Session {
			if bad++; bad <= 10 {
				t.Errorf("session %s mixes truth sessions %s and %s", got, prev, r.Session)
			}
		}
		pipelineToTruth[got] = r.Session
	}
	rows, err := warehouse.ReadRows[schemas.Session](out, "fact_sessions", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(truthSize) {
		t.Errorf("fact_sessions has %d rows, the truth %d sessions", len(rows), len(truthSize))
	}
	runaway, acrossMidnight := 0, 0
	for _, row := range rows {
		if !schemas.DateOf(row.SessionStart).Equal(schemas.DateOf(row.SessionEnd)) {
			acrossMidnight++
		}
		truth, ok := pipelineToTruth[row.SessionID]
		if !ok {
			t.Errorf("session %s has no truth session", row.SessionID)
			continue
		}
		if row.EventCount != truthSize[truth] {
			t.Errorf("session %s (truth %s): event_count %d, truth %d", row.SessionID, truth, row.EventCount, truthSize[truth])
		}
		if row.IsRunaway {
			runaway++
		}
	}
	if runaway == 0 || acrossMidnight == 0 {
		t.Errorf("%d runaway rows, %d sessions across midnight: the sample must exercise both", runaway, acrossMidnight)
	}
	t.Logf("sessions: %d, matching the truth one to one (%d runaway rows, %d across midnight)", len(rows), runaway, acrossMidnight)
}

// recordKey is the truth's key (groundtruth.Record.Key) of the record a row
// came from.
func recordKey(t *testing.T, dataDir, source string, line, index int64) string {
	t.Helper()
	rel, err := filepath.Rel(dataDir, source)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), line, index)
}

// sessionsByRecord maps the truth key of every fact_events row to its
// session_id.
func sessionsByRecord(t *testing.T, out, dataDir string) map[string]string {
	t.Helper()
	events, err := warehouse.ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	sessionOf := map[string]string{}
	for _, e := range events {
		sessionOf[recordKey(t, dataDir, e.Source, e.SourceLine, e.BeaconIndex)] = e.SessionID
	}
	return sessionOf
}

// outcomes reads back every committed row, keyed by the record it came from.
func outcomes(t *testing.T, out, dataDir string) map[string]outcome {
	t.Helper()
	got := map[string]outcome{}
	put := func(source string, line, index int64, o outcome) {
		key := recordKey(t, dataDir, source, line, index)
		if prev, dup := got[key]; dup {
			t.Errorf("%s stored twice: %+v and %+v", key, prev, o)
		}
		got[key] = o
	}
	events, err := warehouse.ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		put(e.Source, e.SourceLine, e.BeaconIndex, outcome{"event", "", e.EventDate.Format(time.DateOnly)})
	}
	bots, err := warehouse.ReadRows[schemas.BotEvent](out, "bot_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bots {
		put(b.Source, b.SourceLine, b.BeaconIndex, outcome{"bot", b.BotRule, b.EventDate.Format(time.DateOnly)})
	}
	dead, err := warehouse.ReadRows[schemas.DeadLetter](out, "dead_letter", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dead {
		put(d.Source, d.SourceLine, d.BeaconIndex, outcome{"dead_letter", d.Reason, d.DeadLetterDate.Format(time.DateOnly)})
	}
	return got
}

func firstKeys(m map[string]outcome, n int) []string {
	var out []string
	for k := range m {
		if len(out) == n {
			break
		}
		out = append(out, k)
	}
	return out
}

// dropEveryTenth is the fault injected by TestFaultIsNotReconciled.
func dropEveryTenth(e schemas.Event, emit func(schemas.Event)) {
	if strings.HasSuffix(e.EventID, "0") {
		return
	}
	emit(e)
}

// TestFaultIsNotReconciled drops events between the per-device stage and
// the sink: the summary must say the run is not reconciled.
func TestFaultIsNotReconciled(t *testing.T) {
	c := sample.config(t)
	sum, err := run(context.Background(), c, seams{beforeSinks: func(s beam.Scope, events beam.PCollection) beam.PCollection {
		return beam.ParDo(s.Scope("fault"), dropEveryTenth, events)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Reconciled {
		t.Fatal("records were dropped, yet the run says it is reconciled")
	}
	check := sum.Tables["fact_events"]
	if check.ReadBack >= check.Counted {
		t.Errorf("fact_events: read back %d, counted %d; want fewer read back", check.ReadBack, check.Counted)
	}
	saved, err := os.ReadFile(filepath.Join(c.Output, "_runs", sum.RunID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(saved), `"reconciled": false`) {
		t.Errorf("saved summary does not say reconciled: false:\n%s", saved)
	}
}

// TestRerunIsIdempotent runs the same input twice into one warehouse: the
// second run replaces the partitions with identical rows and leaves nothing
// behind.
func TestRerunIsIdempotent(t *testing.T) {
	g := sample
	c := g.config(t)
	first, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	before := outcomes(t, c.Output, g.dir)
	c.RunID = ""
	second, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Reconciled || !second.Reconciled {
		t.Fatalf("runs not reconciled: %v / %v", first.Problems, second.Problems)
	}
	after := outcomes(t, c.Output, g.dir)
	if len(after) != len(before) {
		t.Fatalf("second run stored %d rows, first %d", len(after), len(before))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %+v after the re-run, %+v before", k, after[k], v)
		}
	}
	staging, _ := filepath.Glob(filepath.Join(c.Output, "_staging", "*"))
	leftovers, _ := filepath.Glob(filepath.Join(c.Output, "*", "*.old-*"))
	if len(staging)+len(leftovers) > 0 {
		t.Errorf("left behind: %v %v", staging, leftovers)
	}
}

// TestRunScope owns one date only: the other dates' records are out of range
// and their partitions are not written.
func TestRunScope(t *testing.T) {
	g := sample
	c := g.config(t)
	day := "2026-11-02"
	owned, err := schemas.ParseDates(day)
	if err != nil {
		t.Fatal(err)
	}
	c.Dates = owned
	sum := runReconciled(t, c)
	var wantEvents, wantBots, wantDead int64
	for _, r := range g.truth {
		switch {
		case r.Outcome == "event" && r.EventDate == day:
			wantEvents++
		case r.Outcome == "bot" && r.EventDate == day:
			wantBots++
		case r.Outcome == "dead_letter" && r.DeadLetterDate == day:
			wantDead++
		}
	}
	if sum.Events != wantEvents || sum.Tables["bot_events"].ReadBack != wantBots || sum.Tables["dead_letter"].ReadBack != wantDead {
		t.Errorf("events/bots/dead letters = %d/%d/%d, truth for %s %d/%d/%d", sum.Events,
			sum.Tables["bot_events"].ReadBack, sum.Tables["dead_letter"].ReadBack, day, wantEvents, wantBots, wantDead)
	}
	if sum.OutOfRange == 0 {
		t.Error("no record was out of range, but the input spans several dates")
	}
	for _, table := range []string{"fact_events", "bot_events", "dead_letter"} {
		dates, err := warehouse.Dates(c.Output, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dates {
			if d.Format(time.DateOnly) != day {
				t.Errorf("%s has partition %s, the run owns only %s", table, d.Format(time.DateOnly), day)
			}
		}
	}
}

// TestChecksBeforeWork: a bad page-types file or a hash key that does not
// resolve fails the run in its validation pass, before it touches the
// warehouse or starts the job.
func TestChecksBeforeWork(t *testing.T) {
	dir, base := rawSample(t, raw("a1", "page_view", "dA", "", "2026-11-01T10:00:00.000Z"))
	base.Input = []string{filepath.Join(dir, "raw", "*", "*")}
	for _, tt := range []struct {
		name string
		bad  func(*Config)
		want string
	}{
		{"page types file missing", func(c *Config) { c.PageTypesFile = filepath.Join(dir, "missing.txt") }, "page types"},
		{"hash key unset", func(c *Config) { c.HashKeyRef = "env:CLICKSTREAM_UNSET_KEY" }, "hash key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Output = t.TempDir()
			tt.bad(&c)
			if _, err := Run(context.Background(), c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one about the %s", err, tt.want)
			}
			if left, err := os.ReadDir(c.Output); err != nil || len(left) > 0 {
				t.Errorf("the run left %v in its output (%v)", left, err)
			}
		})
	}
}
