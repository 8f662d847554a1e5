//go:build cgo

package erasure_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/googleapis/gax-go/v2"
	bqv2 "google.golang.org/api/bigquery/v2"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

// The same erasure on a BigQuery dataset (the in-process fake, loaded with
// a generated local warehouse; its dimension step failing once, which the
// next run completes) and on the local warehouse: on BigQuery every
// statement that deletes or updates rows is scoped to one partition (or
// is the dimension step's replacement of a table it owns whole, or the
// erasure's own record); both leave the same rows in every table the
// erasure changes, the same log and the same raw files; a second run on
// BigQuery only reads.
func TestEraseBigQueryEqualsLocal(t *testing.T) {
	t.Setenv(hashKeyEnv, "erasure-test-key")
	ctx := context.Background()
	dir := t.TempDir()
	data, out := filepath.Join(dir, "data"), filepath.Join(dir, "warehouse")
	if err := groundtruth.Generate(data, "--seed", "11", "--events", "3000", "--days", "2"); err != nil {
		t.Fatal(err)
	}
	raw := []string{filepath.Join(data, "raw", "*", "*")}
	sum, err := pipelines.Run(ctx, pipelines.Config{
		Input: raw, Output: out, HashKeyRef: "env:" + hashKeyEnv, Shards: 2,
		BotIPFile: filepath.Join(data, "bot_ip_denylist.txt"),
	})
	if err != nil || !sum.Reconciled {
		t.Fatalf("pipeline: %v %v", err, sum.Problems)
	}
	truth, err := groundtruth.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	ids, shared, stitched := pickPeople(truth, 20)
	if shared == 0 || stitched == 0 {
		t.Fatalf("sample has %d people on shared devices, %d with anonymous history: want some of each", shared, stitched)
	}
	p, err := pseudonym.New([]byte("erasure-test-key"), pseudonym.IPMode("truncate"))
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var filed []erasure.Filed
	for i, id := range ids {
		filed = append(filed, erasure.Filed{RequestID: fmt.Sprintf("r%02d", i), UserID: id, ReceivedAt: received})
	}
	for i, d := range otherDevices(truth, ids, 2) {
		filed = append(filed, erasure.Filed{RequestID: fmt.Sprintf("device-%d", i), DeviceID: d, ReceivedAt: received})
	}
	requests, err := erasure.Hash(filed, []*pseudonym.Pseudonymizer{p})
	if err != nil {
		t.Fatal(err)
	}

	srv, runner := loadedFake(t, out)
	rawFiles := readFiles(t, data)
	bq := erasure.BigQuery{Runner: runner, Dataset: "ds", PlanDir: t.TempDir()}
	opts := erasure.Options{Keys: []*pseudonym.Pseudonymizer{p}, Dimensions: dimensions.Options{PageTypes: enrich.DefaultPageTypes().Rules()}}
	if err := erasure.FileBigQuery(ctx, bq, "file-1", requests); err != nil {
		t.Fatal(err)
	}
	if hits, err := erasure.VerifyBigQuery(ctx, bq, requests, ids...); err != nil || len(hits) == 0 {
		t.Fatalf("before the erasure, the verification of BigQuery found %d traces (%v)", len(hits), err)
	}
	jobsBefore := len(srv.Jobs())
	start := time.Now()
	// The dimension step's first job fails, after the erasure's commit: the
	// next run finishes the erasure from its plan.
	srv.FailQueryJobs("_dims_", 1, "invalidQuery")
	remote, err := erasure.EraseBigQuery(ctx, opts, bq)
	if err == nil {
		t.Fatal("the erasure succeeded although its dimension step failed")
	}
	if finished, err := erasure.EraseBigQuery(ctx, opts, bq); err != nil || finished.RunID != "" {
		t.Fatalf("the run after the failed dimension step: %+v, %v; want it to finish the erasure and start none", finished, err)
	}
	t.Logf("BigQuery (fake): erased %d requests in %v: removed %v, %d raw files rewritten",
		len(remote.Requests), time.Since(start).Round(time.Millisecond), remote.Removed, len(remote.RawFiles))
	if len(remote.Requests) != len(filed) || remote.Removed["fact_events"] == 0 || len(remote.RawFiles) == 0 {
		t.Fatalf("erasure did too little: %+v", remote.Removed)
	}
	jobs := srv.Jobs()[jobsBefore:]
	statements := checkScoped(t, jobs)
	t.Logf("%d jobs, of which %d DELETE or UPDATE statements", len(jobs), statements)
	hits, err := erasure.VerifyBigQuery(ctx, bq, requests, ids...)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits[:min(5, len(hits))] {
		t.Errorf("trace left on BigQuery: %+v", h)
	}
	rawAfterBQ := readFiles(t, data)
	writeFiles(t, data, rawFiles)

	if err := erasure.File(out, "file-1", requests); err != nil {
		t.Fatal(err)
	}
	opts.Warehouse = out
	start = time.Now()
	local, err := erasure.Erase(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("local: erased %d requests in %v", len(local.Requests), time.Since(start).Round(time.Millisecond))
	if local.RunID != remote.RunID || fmt.Sprint(local.Removed) != fmt.Sprint(remote.Removed) {
		t.Errorf("local run %s removed %v; BigQuery run %s removed %v", local.RunID, local.Removed, remote.RunID, remote.Removed)
	}
	if got := readFiles(t, data); !equalFiles(got, rawAfterBQ) {
		t.Error("the raw files rewritten by the BigQuery erasure differ from the local erasure's")
	}
	tables := func() map[string][]string {
		return map[string][]string{
			"fact_events":            bothTables[schemas.Event](t, srv, out, "fact_events"),
			"fact_sessions":          bothTables[schemas.Session](t, srv, out, "fact_sessions"),
			"bot_events":             bothTables[schemas.BotEvent](t, srv, out, "bot_events"),
			"dead_letter":            bothTables[schemas.DeadLetter](t, srv, out, "dead_letter"),
			"dim_device_users":       bothTables[schemas.DeviceUser](t, srv, out, "dim_device_users"),
			"dim_devices":            bothTables[schemas.Device](t, srv, out, "dim_devices"),
			"dim_users":              bothTables[schemas.User](t, srv, out, "dim_users"),
			"state_device_days":      bothTables[schemas.DeviceDay](t, srv, out, "state_device_days"),
			"state_device_user_runs": bothTables[schemas.DeviceUserRun](t, srv, out, "state_device_user_runs"),
			"state_user_days":        bothTables[schemas.UserDay](t, srv, out, "state_user_days"),
			"erasure_log":            bothTables[logEntry](t, srv, out, "erasure_log"),
		}
	}
	after := tables()
	if len(after["erasure_log"]) == 0 {
		t.Error("no erasure_log on BigQuery")
	}

	jobsBefore = len(srv.Jobs())
	again, err := erasure.EraseBigQuery(ctx, opts, bq)
	if err != nil {
		t.Fatal(err)
	}
	if again.RunID != "" {
		t.Errorf("second run erased again: %+v", again)
	}
	for _, j := range srv.Jobs()[jobsBefore:] {
		if q := j.Configuration.Query; q == nil || !strings.HasPrefix(q.Query, "SELECT") {
			t.Errorf("second run ran job %s, which is not a SELECT", j.JobReference.JobId)
		}
	}
	if second := tables(); fmt.Sprint(second) != fmt.Sprint(after) {
		t.Error("second run changed a table on BigQuery")
	}
}

// logEntry is an erasure_log row without its times, which differ between
// the two runs.
type logEntry struct {
	RequestID   string `parquet:"request_id"`
	RunID       string `parquet:"run_id"`
	Target      string `parquet:"target"`
	Partition   string `parquet:"partition,optional"`
	RawFile     string `parquet:"raw_file,optional"`
	RowsRemoved int64  `parquet:"rows_removed"`
	Status      string `parquet:"status"`
}

// loadedFake is a fake BigQuery dataset "ds" holding every table of the
// local warehouse out, loaded from its Parquet files.
func loadedFake(t *testing.T, out string) (*bqfake.Server, *bqwarehouse.JobRunner) {
	t.Helper()
	ctx := context.Background()
	srv := bqfake.NewServer("test-project")
	t.Cleanup(srv.Close)
	srv.AddDataset("ds", "US")
	client, err := bigquery.NewClient(ctx, "test-project", srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	if err := bqwarehouse.EnsureTables(ctx, client, "ds", schemas.Tables(), true); err != nil {
		t.Fatal(err)
	}
	fast := gax.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2}
	runner := &bqwarehouse.JobRunner{Client: client, Backoff: fast, Poll: fast}
	for _, table := range schemas.Tables() {
		files, _ := filepath.Glob(filepath.Join(out, table.Name, "*.parquet"))
		nested, _ := filepath.Glob(filepath.Join(out, table.Name, "*", "*.parquet"))
		if files = append(files, nested...); len(files) == 0 {
			continue
		}
		ref := bigquery.NewGCSReference(files...)
		ref.SourceFormat = bigquery.Parquet
		ref.ParquetOptions = &bigquery.ParquetOptions{EnableListInference: true}
		cfg := &bigquery.LoadConfig{Src: ref, Dst: client.Dataset("ds").Table(table.Name),
			WriteDisposition: bigquery.WriteTruncate, CreateDisposition: bigquery.CreateNever}
		if _, err := runner.Run(ctx, "load_"+table.Name, cfg); err != nil {
			t.Fatalf("load %s: %v", table.Name, err)
		}
	}
	return srv, runner
}

// statementTarget reads the table and condition of a DELETE or UPDATE.
var statementTarget = regexp.MustCompile(`(?is)^(DELETE FROM|UPDATE)\s+(\w+)\s.*?\bWHERE\s+(.*)$`)

// checkScoped fails the test for a job among jobs that writes a table by a
// query's destination, or runs a DELETE or UPDATE that is not scoped: on a
// partitioned table, its condition must start with the partition column
// equal to, or in, DATE literals; on an unpartitioned one, the table must be
// one the dimension step owns whole (Derived, its state, the lease) or the
// erasure's record. It returns how many DELETE and UPDATE statements ran.
func checkScoped(t *testing.T, jobs []*bqv2.Job) int {
	t.Helper()
	n := 0
	for _, j := range jobs {
		q := j.Configuration.Query
		if q == nil {
			t.Errorf("job %s is not a query", j.JobReference.JobId)
			continue
		}
		if q.DestinationTable != nil {
			t.Errorf("job %s writes %s by its destination", j.JobReference.JobId, q.DestinationTable.TableId)
		}
		for _, st := range strings.Split(q.Query, ";") {
			st = strings.TrimSpace(st)
			upper := strings.ToUpper(st)
			if strings.HasPrefix(upper, "MERGE") || strings.HasPrefix(upper, "TRUNCATE") {
				t.Errorf("job %s: %s", j.JobReference.JobId, st)
			}
			if !strings.HasPrefix(upper, "DELETE") && !strings.HasPrefix(upper, "UPDATE") {
				continue
			}
			n++
			m := statementTarget.FindStringSubmatch(st)
			if m == nil {
				t.Errorf("job %s: unscoped %q", j.JobReference.JobId, st)
				continue
			}
			table, where := m[2], m[3]
			if col := schemas.MustTable(table).TimePartitioning.Field; col != "" {
				scoped := regexp.MustCompile(`^(\w+\.)?` + col + `\s*(=\s*DATE '\d{4}-\d\d-\d\d'|IN \((DATE '\d{4}-\d\d-\d\d'(, )?)+\))`)
				if !scoped.MatchString(where) {
					t.Errorf("job %s: not scoped to a partition: %.200s", j.JobReference.JobId, st)
				}
				continue
			}
			if k := erasure.Rules[table].Kind; k != erasure.Derived && k != erasure.Record && table != "dimension_lease" && table != "dim_pages" {
				t.Errorf("job %s: %s on the unpartitioned %s", j.JobReference.JobId, m[1], table)
			}
		}
	}
	return n
}

// bothTables reads table on the fake and in the local warehouse, fails the
// test unless they hold the same rows, and returns them canonical.
func bothTables[T any](t *testing.T, srv *bqfake.Server, out, table string) []string {
	t.Helper()
	localRows, err := warehouse.ReadRows[T](out, table, nil)
	if err != nil {
		t.Fatal(err)
	}
	remoteRows, err := bqfake.RowsOf[T](srv.Rows("ds", table))
	if err != nil {
		t.Fatal(err)
	}
	l, r := canonicalRows(t, localRows), canonicalRows(t, remoteRows)
	if !slices.Equal(l, r) {
		t.Errorf("%s: local %d rows, BigQuery %d", table, len(l), len(r))
		for i := range min(len(l), len(r)) {
			if l[i] != r[i] {
				t.Errorf("first difference:\n local    %s\n BigQuery %s", l[i], r[i])
				break
			}
		}
	}
	return r
}

// canonicalRows are rows as sorted JSON texts.
func canonicalRows[T any](t *testing.T, rows []T) []string {
	t.Helper()
	out := make([]string, len(rows))
	for i, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		// BigQuery has no NULL array: an empty list reads back as nil.
		out[i] = strings.ReplaceAll(string(b), `":[]`, `":null`)
	}
	sort.Strings(out)
	return out
}

// readFiles reads every file under dir.
func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// writeFiles replaces dir by files (what readFiles read).
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for path, b := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if string(b[k]) != string(v) {
			return false
		}
	}
	return true
}
