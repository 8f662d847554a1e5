package pipelines

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
)

// bigQueryBatch is a generated day and a batch run of it into a fresh
// BigQuery fake, with the faults a test injects.
type bigQueryBatch struct {
	truth []groundtruth.Record
	srv   *bqfake.Server
	sum   *runsummary.Summary
}

// runBigQueryBatch generates a small day, lets fault prepare the fake, and
// runs the batch pipeline into it (tables created through the fake, files
// staged in a local directory).
func runBigQueryBatch(t *testing.T, fault func(*bqfake.Server)) bigQueryBatch {
	t.Helper()
	return runBigQueryBatchWith(t, func(srv *bqfake.Server, _ []groundtruth.Record) { fault(srv) }, func(*Config) {})
}

// runBigQueryBatchWith is runBigQueryBatch with the truth given to prepare
// and the run's config adjusted by configure.
func runBigQueryBatchWith(t *testing.T, prepare func(*bqfake.Server, []groundtruth.Record), configure func(*Config)) bigQueryBatch {
	t.Helper()
	dir := t.TempDir()
	truth := generateSample(t, dir, "--seed", "8", "--events", "1500", "--days", "1", "--gzip", "0")
	srv := bqfake.NewServer("demo")
	t.Cleanup(srv.Close)
	srv.AddDataset("clickstream", "EU")
	prepare(srv, truth)

	t.Setenv("CLICKSTREAM_E2E_KEY", "e2e-test-key")
	c := Config{
		Input:      []string{filepath.Join(dir, "raw", "*", "*")},
		Output:     t.TempDir(),
		Dates:      truthDates(t, truth),
		Sink:       SinkBigQuery,
		BigQuery:   BigQuery{Project: "demo", Dataset: "clickstream", CreateTables: true, TempLocation: t.TempDir(), Endpoint: srv.URL()},
		HashKeyRef: "env:CLICKSTREAM_E2E_KEY",
		BotIPFile:  filepath.Join(dir, "bot_ip_denylist.txt"),
		Shards:     4,
		// Each round's rows are staged in its own stage and loaded together.
		DeviceRounds: 2,
	}
	configure(&c)
	sum, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return bigQueryBatch{truth: truth, srv: srv, sum: sum}
}

// truthDates are the dates the truth puts records on: the dates the run
// owns.
func truthDates(t *testing.T, truth []groundtruth.Record) []time.Time {
	t.Helper()
	var keys []string
	for _, r := range truth {
		for _, d := range []string{r.EventDate, r.DeadLetterDate} {
			if d != "" {
				keys = append(keys, d)
			}
		}
	}
	slices.Sort(keys)
	var dates []time.Time
	for _, k := range slices.Compact(keys) {
		d, err := time.Parse(time.DateOnly, k)
		if err != nil {
			t.Fatal(err)
		}
		dates = append(dates, d)
	}
	return dates
}

// truthRows counts what the truth puts in each table (duplicates in none).
func truthRows(truth []groundtruth.Record) map[string]int64 {
	want := map[string]int64{}
	for _, r := range truth {
		switch r.Outcome {
		case "event":
			want["fact_events"]++
		case "bot":
			want["bot_events"]++
		case "dead_letter":
			want["dead_letter"]++
		}
	}
	return want
}

// jobCounts counts the fake's jobs: the load jobs that succeeded, and the
// jobs of any kind that failed, by error reason.
func jobCounts(srv *bqfake.Server) (loaded int, failed map[string]int) {
	failed = map[string]int{}
	for _, j := range srv.Jobs() {
		if e := j.Status.ErrorResult; e != nil {
			failed[e.Reason]++
			continue
		}
		if j.Configuration.Load != nil {
			loaded++
		}
	}
	return loaded, failed
}

// TestBatchBigQueryTransientFaults: a batch run into BigQuery while its
// front end answers 503 and 500, the answer to a job insert is lost (the
// client's retry meets 409) and two load jobs fail with backendError ends
// with the accounting of a run without faults: reconciled, every table
// holding exactly the truth's rows, one successful job per partition.
func TestBatchBigQueryTransientFaults(t *testing.T) {
	b := runBigQueryBatch(t, func(srv *bqfake.Server) {
		srv.FailRequests("POST /projects/demo/jobs", 2, http.StatusServiceUnavailable)
		srv.FailRequests("GET /projects/demo/jobs/", 1, http.StatusInternalServerError)
		srv.LoseJobInsertResponses(1)
		srv.FailJobs(2, "backendError")
	})
	if !b.sum.Reconciled {
		t.Fatalf("not reconciled: %v", b.sum.Problems)
	}
	if b.sum.InputRecords != int64(len(b.truth)) {
		t.Errorf("input_records %d, truth %d", b.sum.InputRecords, len(b.truth))
	}
	for table, want := range truthRows(b.truth) {
		if got := int64(len(b.srv.Rows("clickstream", table))); got != want {
			t.Errorf("%s holds %d rows, truth %d", table, got, want)
		}
	}
	if got := int64(len(b.srv.Rows("clickstream", "fact_sessions"))); got != b.sum.Sessions || got == 0 {
		t.Errorf("fact_sessions holds %d rows, the summary counts %d", got, b.sum.Sessions)
	}
	loaded, failed := jobCounts(b.srv)
	partitions := 0
	for _, table := range []string{"fact_events", "fact_sessions", "bot_events", "dead_letter"} {
		partitions += len(b.srv.Partitions("clickstream", table))
	}
	if loaded != partitions || failed["backendError"] != 2 || len(failed) != 1 {
		t.Errorf("%d load jobs succeeded for %d partitions, failed %v; want one each and the 2 injected failures", loaded, partitions, failed)
	}
	// The work of each failed attempt was done by a later attempt.
	done := map[string]bool{}
	for _, j := range b.srv.Jobs() {
		if j.Status.ErrorResult == nil {
			done[jobBase(j.JobReference.JobId)] = true
		}
	}
	for _, j := range b.srv.Jobs() {
		if id := j.JobReference.JobId; j.Status.ErrorResult != nil && !done[jobBase(id)] {
			t.Errorf("job %s failed and no later attempt succeeded", id)
		}
	}
}

// jobBase is a job id without its attempt suffix (_a<n>).
func jobBase(id string) string {
	if i := strings.LastIndex(id, "_a"); i >= 0 {
		return id[:i]
	}
	return id
}

// TestBatchBigQueryRefusedRows: BigQuery refuses the bad_json dead letters
// of the load. A load job is all or nothing, so each dead_letter partition
// holding one fails for good: the run reports it by name with BigQuery's
// reason, the partition keeps what it held (nothing), the other tables and
// partitions load, and the run is not reconciled.
func TestBatchBigQueryRefusedRows(t *testing.T) {
	b := runBigQueryBatch(t, func(srv *bqfake.Server) {
		srv.RejectRows(func(table string, row map[string]any) string {
			if table == "dead_letter" && row["reason"] == schemas.ReasonBadJSON {
				return "refused by the test"
			}
			return ""
		})
	})
	// One failed load per date with a bad_json dead letter.
	var wantFailed []string
	for _, r := range b.truth {
		if r.Outcome == "dead_letter" && r.Reason == schemas.ReasonBadJSON {
			wantFailed = append(wantFailed, "dead_letter$"+strings.ReplaceAll(r.DeadLetterDate, "-", ""))
		}
	}
	slices.Sort(wantFailed)
	wantFailed = slices.Compact(wantFailed)
	if b.sum.Reconciled || len(wantFailed) == 0 {
		t.Fatalf("reconciled %t with %d bad_json dates, want a failed run", b.sum.Reconciled, len(wantFailed))
	}
	var gotFailed []string
	for _, f := range b.sum.FailedLoads {
		partition, reason, _ := strings.Cut(f, ": ")
		gotFailed = append(gotFailed, partition)
		if !strings.Contains(reason, "_a0 failed: invalid: ") {
			t.Errorf("failed load %q, want BigQuery's reason", f)
		}
		if !slices.Contains(b.sum.Problems, "load failed: "+f) {
			t.Errorf("problems %v do not name the failed load %s", b.sum.Problems, partition)
		}
	}
	if !slices.Equal(gotFailed, wantFailed) {
		t.Errorf("failed loads %v, want %v", gotFailed, wantFailed)
	}
	want := truthRows(b.truth)
	for _, table := range []string{"fact_events", "bot_events"} {
		if got := int64(len(b.srv.Rows("clickstream", table))); got != want[table] {
			t.Errorf("%s holds %d rows, truth %d", table, got, want[table])
		}
	}
	for _, p := range wantFailed {
		if n := b.srv.Partitions("clickstream", "dead_letter")[strings.TrimPrefix(p, "dead_letter$")]; n != 0 {
			t.Errorf("%s holds %d rows after its load failed", p, n)
		}
	}
	if _, failed := jobCounts(b.srv); failed["invalid"] != len(wantFailed) || len(failed) != 1 {
		t.Errorf("failed jobs %v, want each failed partition's load once, not retried", failed)
	}
}
