package bqwarehouse_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/googleapis/gax-go/v2"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
)

// newRunner returns a fake with the tables, a JobRunner on it that backs
// off briefly, and a Parquet file of n events of day1.
func newRunner(t *testing.T, n int) (*bqfake.Server, *bqwarehouse.JobRunner, string) {
	t.Helper()
	srv, client := newFake(t)
	createTables(t, client)
	client.Location = "EU"
	fast := gax.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2}
	return srv, &bqwarehouse.JobRunner{Client: client, Backoff: fast, Poll: fast}, writeEvents(t, events("a", day1, n))
}

// writeEvents writes rows into a Parquet file as Load stages them and
// returns its path.
func writeEvents(t *testing.T, rows []schemas.Event) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "part.parquet")
	if err := bqfake.WriteParquet(path, "fact_events", rows); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadConfig replaces fact_events$20261101 with files.
func loadConfig(r *bqwarehouse.JobRunner, files ...string) *bigquery.LoadConfig {
	ref := bigquery.NewGCSReference(files...)
	ref.SourceFormat = bigquery.Parquet
	ref.ParquetOptions = &bigquery.ParquetOptions{EnableListInference: true}
	return &bigquery.LoadConfig{
		Src: ref, Dst: r.Client.Dataset("ds").Table("fact_events$20261101"),
		WriteDisposition: bigquery.WriteTruncate, CreateDisposition: bigquery.CreateNever,
	}
}

// jobStates lists the fake's jobs as "id state [reason]".
func jobStates(srv *bqfake.Server) []string {
	var out []string
	for _, j := range srv.Jobs() {
		s := j.JobReference.JobId + " " + j.Status.State
		if e := j.Status.ErrorResult; e != nil {
			s += " " + e.Reason
		}
		out = append(out, s)
	}
	return out
}

func outputRows(t *testing.T, res *bqwarehouse.JobResult) int64 {
	t.Helper()
	stats, ok := res.Status.Statistics.Details.(*bigquery.LoadStatistics)
	if !ok {
		t.Fatalf("job %s: statistics %T, want load statistics", res.ID, res.Status.Statistics.Details)
	}
	return stats.OutputRows
}

// TestJobRunnerProbes runs the same job twice, as a retried bundle does,
// under each fault the probe must get past, and checks which attempts ran.
func TestJobRunnerProbes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(*bqfake.Server)
		// first and second are the attempt each Run returns, and whether it
		// submitted it.
		first, second string
		jobs          []string
	}{
		{"no fault: the second run finds the first's job", func(*bqfake.Server) {},
			"a0 submitted", "a0 found", []string{"b_a0 DONE"}},
		{"a transient job failure: the next attempt", func(s *bqfake.Server) { s.FailJobs(1, "backendError") },
			"a1 submitted", "a1 found", []string{"b_a0 DONE backendError", "b_a1 DONE"}},
		{"two transient failures, internal then rate limit", func(s *bqfake.Server) {
			s.FailJobs(1, "internalError")
			s.FailJobs(1, "rateLimitExceeded")
		}, "a2 submitted", "a2 found", []string{"b_a0 DONE internalError", "b_a1 DONE rateLimitExceeded", "b_a2 DONE"}},
		{"5xx on insert and on get: the client retries", func(s *bqfake.Server) {
			s.FailRequests("POST /projects/test-project/jobs", 2, http.StatusServiceUnavailable)
			s.FailRequests("GET /projects/test-project/jobs/b_a0", 1, http.StatusInternalServerError)
		}, "a0 submitted", "a0 found", []string{"b_a0 DONE"}},
		{"a lost insert answer: 409, then the job that exists", func(s *bqfake.Server) { s.LoseJobInsertResponses(1) },
			"a0 found", "a0 found", []string{"b_a0 DONE"}},
		{"a job still running: waited for", func(s *bqfake.Server) { s.DelayJobs(1, 3) },
			"a0 submitted", "a0 found", []string{"b_a0 DONE"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, r, file := newRunner(t, 6)
			tt.fault(srv)
			for i, want := range []string{tt.first, tt.second} {
				res, err := r.Run(context.Background(), "b", loadConfig(r, file))
				if err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				how := "found"
				if res.Submitted {
					how = "submitted"
				}
				if got := fmt.Sprintf("a%d %s", res.Attempt, how); got != want || res.ID != "b_"+got[:2] {
					t.Errorf("run %d: %s (%s), want %s", i+1, got, res.ID, want)
				}
				if n := outputRows(t, res); n != 6 {
					t.Errorf("run %d: %d output rows, want 6", i+1, n)
				}
			}
			if got := jobStates(srv); !slices.Equal(got, tt.jobs) {
				t.Errorf("jobs %v, want %v", got, tt.jobs)
			}
			if got := srv.Partitions("ds", "fact_events"); got["20261101"] != 6 || len(got) != 1 {
				t.Errorf("partitions %v", got)
			}
		})
	}
}

// TestJobRunnerWaitsForRunningAttempt: an attempt submitted earlier (by
// another worker, or before a crash) and still running is waited for, not
// submitted again.
func TestJobRunnerWaitsForRunningAttempt(t *testing.T) {
	srv, r, file := newRunner(t, 4)
	srv.DelayJobs(1, 2)
	l := r.Client.Dataset("ds").Table("fact_events$20261101").LoaderFrom(loadConfig(r, file).Src)
	l.LoadConfig = *loadConfig(r, file)
	l.JobID = "b_a0"
	if _, err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), "b", loadConfig(r, file))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "b_a0" || res.Submitted || outputRows(t, res) != 4 {
		t.Errorf("result %s submitted=%t, want the running b_a0", res.ID, res.Submitted)
	}
	if got := jobStates(srv); !slices.Equal(got, []string{"b_a0 DONE"}) {
		t.Errorf("jobs %v", got)
	}
}

// TestJobRunnerPermanentFailure: a job that fails for good is a
// JobFailedError with BigQuery's errors; a later run reports the same
// attempt again instead of submitting another.
func TestJobRunnerPermanentFailure(t *testing.T) {
	srv, r, file := newRunner(t, 5)
	srv.RejectRows(func(_ string, row map[string]any) string {
		if row["event_id"] == "a-1101-0002" {
			return "refused by the test"
		}
		return ""
	})
	for i := range 2 {
		_, err := r.Run(context.Background(), "b", loadConfig(r, file))
		var failed *bqwarehouse.JobFailedError
		if !errors.As(err, &failed) || failed.ID != "b_a0" {
			t.Fatalf("run %d: error %v, want a JobFailedError of b_a0", i+1, err)
		}
		if msg := failed.Error(); !strings.HasPrefix(msg, "job b_a0 failed: invalid: ") || !strings.Contains(msg, "refused by the test") {
			t.Errorf("run %d: error %q", i+1, msg)
		}
	}
	if got := jobStates(srv); !slices.Equal(got, []string{"b_a0 DONE invalid"}) {
		t.Errorf("jobs %v", got)
	}
	if got := srv.Rows("ds", "fact_events"); len(got) != 0 {
		t.Errorf("%d rows loaded", len(got))
	}
}

// TestJobRunnerGivesUp: attempts that keep failing transiently end the run
// with an error that is not a JobFailedError (the bundle fails); the retry
// carries on from the next attempt.
func TestJobRunnerGivesUp(t *testing.T) {
	srv, r, file := newRunner(t, 3)
	r.MaxAttempts = 2
	srv.FailJobs(3, "backendError")
	_, err := r.Run(context.Background(), "b", loadConfig(r, file))
	var failed *bqwarehouse.JobFailedError
	if err == nil || errors.As(err, &failed) || !strings.Contains(err.Error(), "2 attempts failed transiently") {
		t.Fatalf("error %v, want one that gives up after 2 attempts", err)
	}
	res, err := r.Run(context.Background(), "b", loadConfig(r, file))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "b_a3" || res.Retries != 1 {
		t.Errorf("result %s after %d retries, want b_a3 after 1", res.ID, res.Retries)
	}
	want := []string{"b_a0 DONE backendError", "b_a1 DONE backendError", "b_a2 DONE backendError", "b_a3 DONE"}
	if got := jobStates(srv); !slices.Equal(got, want) {
		t.Errorf("jobs %v, want %v", got, want)
	}
}

// TestJobRunnerOtherWork: an attempt that exists but does other work (a
// base id reused for other input) is an error, never a result.
func TestJobRunnerOtherWork(t *testing.T) {
	_, r, file := newRunner(t, 3)
	if _, err := r.Run(context.Background(), "b", loadConfig(r, file)); err != nil {
		t.Fatal(err)
	}
	other := writeEvents(t, events("b", day1, 2))
	for _, cfg := range []bigquery.JobConfig{loadConfig(r, file, other), &bigquery.QueryConfig{Q: "SELECT 1"}} {
		_, err := r.Run(context.Background(), "b", cfg)
		if err == nil || !strings.Contains(err.Error(), "must not be reused") {
			t.Errorf("%T: error %v, want a reused job id", cfg, err)
		}
	}
}

// TestJobRunnerQuery runs a DML query job (as the dimension step does)
// through the same probe: a transient failure, then the statistics of the
// attempt that succeeded; run again, it finds that attempt and inserts
// nothing more.
func TestJobRunnerQuery(t *testing.T) {
	srv, r, _ := newRunner(t, 0)
	srv.FailJobs(1, "jobBackendError")
	const sql = "INSERT INTO ds.dim_pages (page_key, page_type) VALUES ('k1', 'home'), ('k2', 'cart')"
	for range 2 {
		res, err := r.Run(context.Background(), "insert_dim_pages", &bigquery.QueryConfig{Q: sql})
		if err != nil {
			t.Fatal(err)
		}
		stats, ok := res.Status.Statistics.Details.(*bigquery.QueryStatistics)
		if res.ID != "insert_dim_pages_a1" || !ok || stats.NumDMLAffectedRows != 2 {
			t.Errorf("result %s, statistics %+v", res.ID, res.Status.Statistics.Details)
		}
	}
	if got := srv.Rows("ds", "dim_pages"); len(got) != 2 {
		t.Errorf("dim_pages has %d rows, want the 2 inserted once", len(got))
	}
	if got, want := jobStates(srv), []string{"insert_dim_pages_a0 DONE jobBackendError", "insert_dim_pages_a1 DONE"}; !slices.Equal(got, want) {
		t.Errorf("jobs %v, want %v", got, want)
	}
}

// TestJobRunnerConcurrentUpdate: a transaction that a concurrent one
// aborts (reason invalidQuery, "due to concurrent update") changed nothing
// and is run again whole, as a transient failure.
func TestJobRunnerConcurrentUpdate(t *testing.T) {
	srv, r, _ := newRunner(t, 0)
	srv.AbortTransactions("replace_dim_pages", 1)
	const sql = `BEGIN TRANSACTION;
DELETE FROM ds.dim_pages WHERE TRUE;
INSERT INTO ds.dim_pages (page_key, page_type) VALUES ('k1', 'home');
COMMIT TRANSACTION;`
	res, err := r.Run(context.Background(), "replace_dim_pages", &bigquery.QueryConfig{Q: sql})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "replace_dim_pages_a1" || res.Retries != 1 {
		t.Errorf("result %s after %d retries, want replace_dim_pages_a1 after 1", res.ID, res.Retries)
	}
	if got := srv.Rows("ds", "dim_pages"); len(got) != 1 {
		t.Errorf("dim_pages has %d rows, want 1", len(got))
	}
	if got, want := jobStates(srv), []string{"replace_dim_pages_a0 DONE invalidQuery", "replace_dim_pages_a1 DONE"}; !slices.Equal(got, want) {
		t.Errorf("jobs %v, want %v", got, want)
	}
}

// TestJobRunnerRefusedInsert: a job BigQuery refuses to start (400) is a
// JobFailedError too.
func TestJobRunnerRefusedInsert(t *testing.T) {
	srv, r, file := newRunner(t, 2)
	srv.FailRequests("POST /projects/test-project/jobs", 1, http.StatusBadRequest)
	_, err := r.Run(context.Background(), "b", loadConfig(r, file))
	var failed *bqwarehouse.JobFailedError
	if !errors.As(err, &failed) || failed.ID != "b_a0" {
		t.Errorf("error %v, want a JobFailedError of b_a0", err)
	}
	if _, err := r.Run(context.Background(), "c", &bigquery.CopyConfig{}); err == nil {
		t.Error("a copy job ran")
	}
}
