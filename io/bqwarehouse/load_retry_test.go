package bqwarehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
)

// TestLoadRetriedBundleAfterFailedJob: a bundle whose load job kept
// failing transiently fails, and the runner retries it with the same
// staged files. The retry must load the partition, once. Before attempts,
// the job id was fixed per run, table and date: the retry met 409, waited
// on the same failed job and failed again, on every retry.
func TestLoadRetriedBundleAfterFailedJob(t *testing.T) {
	ctx := context.Background()
	srv := bqfake.NewServer("test-project")
	t.Cleanup(srv.Close)
	srv.AddDataset("ds", "EU")
	client, err := bigquery.NewClient(ctx, "test-project", srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	if err := EnsureTables(ctx, client, "ds", schemas.Tables(), true); err != nil {
		t.Fatal(err)
	}

	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	file := stageEvents(t, filepath.Join(dir, "event_date=2026-11-01"), day, 9)
	srv.FailJobs(DefaultJobAttempts, "backendError")

	fn := &loadFn{Project: "test-project", Dataset: "ds", Endpoint: srv.URL(), Dir: dir, Table: "fact_events", RunID: "run-1"}
	if err := fn.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fn.Teardown() })
	process := func() ([]LoadResult, error) {
		files := []stagedFile{{Path: file, Rows: 9}}
		next := func(f *stagedFile) bool {
			if len(files) == 0 {
				return false
			}
			*f, files = files[0], files[1:]
			return true
		}
		var out []LoadResult
		err := fn.ProcessElement(ctx, "2026-11-01", next, func(r LoadResult) { out = append(out, r) })
		return out, err
	}

	if _, err := process(); err == nil {
		t.Fatal("the first try succeeded although every attempt failed")
	}
	got, err := process() // the runner's retry of the bundle
	if err != nil {
		t.Fatalf("the retried bundle: %v", err)
	}
	if len(got) != 1 || got[0].Rows != 9 || !got[0].Date.Equal(day) {
		t.Errorf("results %+v, want 9 rows loaded into 2026-11-01", got)
	}
	if parts := srv.Partitions("ds", "fact_events"); parts["20261101"] != 9 || len(parts) != 1 {
		t.Errorf("partitions %v", parts)
	}
	var ids []string
	for _, j := range srv.Jobs() {
		ids = append(ids, j.JobReference.JobId)
	}
	var want []string
	for n := range DefaultJobAttempts + 1 {
		want = append(want, fmt.Sprintf("clickstream_run-1_fact_events_20261101_a%d", n))
	}
	if !slices.Equal(ids, want) {
		t.Errorf("jobs %v, want %v", ids, want)
	}
}

// stageEvents writes n fact_events rows of day into a Parquet file under
// dir, as Load stages them, and returns its path.
func stageEvents(t *testing.T, dir string, day time.Time, n int) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "part-1.parquet")
	rows := make([]schemas.Event, n)
	for i := range rows {
		at := day.Add(time.Duration(i) * time.Minute)
		rows[i] = schemas.Event{
			EventID: fmt.Sprintf("e-%d", i), EventType: "page_view", EventDate: day, EventTime: at, CreatedAt: at,
			TimeSource: "created_at", DeviceID: "d-1", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "test", SourceLine: int64(i + 1),
		}
	}
	if err := bqfake.WriteParquet(path, "fact_events", rows); err != nil {
		t.Fatal(err)
	}
	return path
}
