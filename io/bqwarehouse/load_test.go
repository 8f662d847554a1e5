package bqwarehouse_test

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/example/clickstream/internal/gcstest"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

func TestMain(m *testing.M) {
	// Rows cross Beam's coders as local times; a zone far from UTC shows any
	// place that takes a calendar date in the wrong zone.
	time.Local = time.FixedZone("UTC-7", -7*60*60)
	ptest.Main(m)
}

var (
	day1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day2 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	day3 = time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
)

func ptr[T any](v T) *T { return &v }

// events returns n events on date with a mix of set and unset optional
// fields; times have microsecond precision, as stored.
func events(tag string, date time.Time, n int) []schemas.Event {
	out := make([]schemas.Event, n)
	for i := range out {
		at := date.Add(time.Duration(i)*time.Minute + 123456*time.Microsecond)
		e := schemas.Event{
			EventID: fmt.Sprintf("%s-%s-%04d", tag, date.Format("0102"), i), EventType: []string{"page_view", "search", "purchase"}[i%3],
			EventDate: date, EventTime: at, TimeSource: "derived", CreatedAt: at.Add(-time.Second),
			DeviceID: fmt.Sprintf("dev-%d", i%5), DefaultChannelGroup: "Direct", DeviceType: "desktop",
			Source: "gs://landing/" + tag + ".jsonl", SourceLine: int64(i + 1),
		}
		if i%2 == 0 {
			e.SentAt, e.ReceivedAt = at.Add(-time.Second/2), at
			e.UserKey, e.PageURL, e.PageHost, e.PagePath = fmt.Sprintf("user-%d", i), "https://shop.example.com/p/1", "shop.example.com", "/p/1"
		}
		if e.EventType == "purchase" {
			e.Price, e.Quantity, e.Revenue = ptr(float64(i)/4), ptr(int64(i%3)), ptr(0.0)
			e.Currency, e.OrderID = "EUR", fmt.Sprintf("o-%d", i)
			// Line items, one with NULL fields; custom properties.
			e.Items = []schemas.Item{
				{ItemID: "sku-1", ItemName: "Shoe", ItemCategory: "shoes", Price: ptr(19.5), Quantity: ptr(int64(2)), Currency: "EUR"},
				{ItemID: "sku-2"},
			}[:i%3]
			e.Properties = `{"coupon":"SAVE5"}`
		}
		out[i] = e
	}
	return out
}

func sessions(date time.Time, n int) []schemas.Session {
	out := make([]schemas.Session, n)
	for i := range out {
		start := date.Add(time.Duration(i) * time.Hour)
		out[i] = schemas.Session{
			SessionID: fmt.Sprintf("s-%s-%d", date.Format("0102"), i), SessionDate: date, DeviceID: fmt.Sprintf("dev-%d", i),
			SessionStart: start, SessionEnd: start.Add(time.Duration(i) * time.Minute), DurationSeconds: float64(i * 60),
			EventCount: int64(i + 1), PagePathSequence: []string{"/", "/p/1", "/cart"}[:i%4%3], DefaultChannelGroup: "Organic Search",
			DeviceType: "mobile", HadPurchase: i%2 == 1, Revenue: new(float64(i)), Version: 1,
		}
		if i%2 == 1 {
			out[i].RevenueByCurrency = []schemas.CurrencyRevenue{{Currency: "EUR", Revenue: float64(i), Purchases: 1}, {Revenue: 0.5, Purchases: 1}}
		}
	}
	return out
}

func deadLetters(date time.Time, n int) []schemas.DeadLetter {
	out := make([]schemas.DeadLetter, n)
	for i := range out {
		out[i] = schemas.DeadLetter{
			DeadLetterDate: date, Reason: schemas.ReasonBadJSON, Detail: "unexpected end", Payload: `{"a":`,
			PayloadBytes: 5, Source: "gs://landing/x.jsonl", SourceLine: int64(i + 1),
		}
	}
	return out
}

func pages(n int) []schemas.Page {
	out := make([]schemas.Page, n)
	for i := range out {
		out[i] = schemas.Page{PageKey: fmt.Sprintf("k%03d", i), Host: "shop.example.com", Path: fmt.Sprintf("/p/%d", i), PageType: "product"}
	}
	return out
}

// newTables starts a fake whose dataset "ds" holds the tables of
// schemas/tables.
func newTables(t *testing.T) *bqfake.Server {
	t.Helper()
	srv, client := newFake(t)
	createTables(t, client)
	return srv
}

// createTables creates the tables of schemas/tables in dataset "ds".
func createTables(t *testing.T, client *bigquery.Client) {
	t.Helper()
	if err := bqwarehouse.EnsureTables(context.Background(), client, "ds", schemas.Tables(), true); err != nil {
		t.Fatal(err)
	}
}

func options(srv *bqfake.Server, tmp, runID string, owned ...time.Time) bqwarehouse.LoadOptions {
	return bqwarehouse.LoadOptions{Project: project, Dataset: "ds", TempLocation: tmp, RunID: runID, Owned: owned, Endpoint: srv.URL()}
}

// run runs a pipeline on Prism and returns its bigquery counters.
func run(t *testing.T, p *beam.Pipeline) (map[string]int64, error) {
	t.Helper()
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		return nil, err
	}
	counters := map[string]int64{}
	for _, c := range res.Metrics().Query(func(r metrics.SingleResult) bool { return r.Namespace() == "bigquery" }).Counters() {
		counters[c.Name()] += c.Result()
	}
	return counters, nil
}

// sameRows compares what BigQuery holds with what the warehouse holds for
// table, as rows of T ordered by key.
func sameRows[T any](t *testing.T, srv *bqfake.Server, out, table string, key func(T) string) {
	t.Helper()
	want, err := warehouse.ReadRows[T](out, table, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := bqfake.RowsOf[T](srv.Rows("ds", table))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatalf("%s: the warehouse holds no rows", table)
	}
	byKey := func(a, b T) int { return cmp.Compare(key(a), key(b)) }
	slices.SortFunc(want, byKey)
	slices.SortFunc(got, byKey)
	if d := gocmp.Diff(want, got, emptyIsNil); d != "" {
		t.Errorf("%s: BigQuery holds other rows than the warehouse (-warehouse +bigquery):\n%s", table, d)
	}
}

// TestLoadMatchesWarehouse writes the same rows to the local warehouse and
// to BigQuery and reads both back: every table, partitioned and not, with
// a REPEATED column, NULLs and several files per partition.
func TestLoadMatchesWarehouse(t *testing.T) {
	srv := newTables(t)
	out, tmp := filepath.Join(t.TempDir(), "warehouse"), t.TempDir()
	const runID = "run-1"
	o := options(srv, tmp, runID)

	p, s := beam.NewPipelineWithRoot()
	// Several inputs, so several bundles and files per partition.
	ev := beam.Flatten(s, beam.CreateList(s, events("a", day1, 40)), beam.CreateList(s, events("b", day1, 25)),
		beam.CreateList(s, events("c", day2, 30)))
	ss := beam.CreateList(s, append(sessions(day1, 7), sessions(day2, 5)...))
	dl := beam.CreateList(s, deadLetters(day2, 4))
	pg := beam.CreateList(s, pages(12))
	warehouse.Write(s, out, runID, "fact_events", ev)
	warehouse.Write(s, out, runID, "fact_sessions", ss)
	warehouse.Write(s, out, runID, "dead_letter", dl)
	warehouse.Write(s, out, runID, "dim_pages", pg)
	results := beam.Flatten(s,
		bqwarehouse.Load(s, o, "fact_events", ev), bqwarehouse.Load(s, o, "fact_sessions", ss),
		bqwarehouse.Load(s, o, "dead_letter", dl), bqwarehouse.Load(s, o, "dim_pages", pg))
	passert.Equals(s, results,
		loaded(runID, "fact_events", day1, 65), loaded(runID, "fact_events", day2, 30),
		loaded(runID, "fact_sessions", day1, 7), loaded(runID, "fact_sessions", day2, 5),
		loaded(runID, "dead_letter", day2, 4), loaded(runID, "dim_pages", time.Time{}, 12))
	if _, err := run(t, p); err != nil {
		t.Fatal(err)
	}
	if _, err := warehouse.Commit(out, runID, nil); err != nil {
		t.Fatal(err)
	}

	sameRows(t, srv, out, "fact_events", func(e schemas.Event) string { return e.EventID })
	sameRows(t, srv, out, "fact_sessions", func(s schemas.Session) string { return s.SessionID })
	sameRows(t, srv, out, "dead_letter", func(d schemas.DeadLetter) string { return fmt.Sprint(d.SourceLine) })
	sameRows(t, srv, out, "dim_pages", func(p schemas.Page) string { return p.PageKey })
	if got := srv.Partitions("ds", "fact_events"); got["20261101"] != 65 || got["20261102"] != 30 || len(got) != 2 {
		t.Errorf("fact_events partitions %v", got)
	}

	// One job per partition, into its decorator, replacing it with exactly
	// the files staged for it.
	jobs := srv.Jobs()
	var dsts []string
	for _, j := range jobs {
		l := j.Configuration.Load
		dst := l.DestinationTable.TableId
		dsts = append(dsts, dst)
		if l.WriteDisposition != "WRITE_TRUNCATE" || l.CreateDisposition != "CREATE_NEVER" || l.SourceFormat != "PARQUET" ||
			l.ParquetOptions == nil || !l.ParquetOptions.EnableListInference {
			t.Errorf("%s: load configuration %+v", dst, l)
		}
		table, date, partitioned := strings.Cut(dst, "$")
		part := "all"
		dir := filepath.Join(tmp, "clickstream", runID, table)
		if partitioned {
			part = date
			d, _ := time.Parse("20060102", date)
			dir = filepath.Join(dir, schemas.MustTable(table).TimePartitioning.Field+"="+d.Format(time.DateOnly))
		}
		if want := "clickstream_" + runID + "_" + table + "_" + part + "_a0"; j.JobReference.JobId != want {
			t.Errorf("%s: job id %s, want %s", dst, j.JobReference.JobId, want)
		}
		for _, uri := range l.SourceUris {
			if filepath.Dir(uri) != dir || !strings.HasPrefix(filepath.Base(uri), "part-") || !strings.HasSuffix(uri, ".parquet") {
				t.Errorf("%s: source %s is not a part file of %s", dst, uri, dir)
			}
		}
	}
	slices.Sort(dsts)
	if want := []string{"dead_letter$20261102", "dim_pages", "fact_events$20261101", "fact_events$20261102", "fact_sessions$20261101", "fact_sessions$20261102"}; !slices.Equal(dsts, want) {
		t.Errorf("load jobs into %v, want %v", dsts, want)
	}
	if left := parquetFiles(t, tmp); len(left) > 0 {
		t.Errorf("staged files left after loading: %v", left)
	}
}

// loaded is the result of a partition (an unpartitioned table for the zero
// date) that the first attempt of its load job replaced with rows.
func loaded(runID, table string, date time.Time, rows int64) bqwarehouse.LoadResult {
	part := "all"
	if !date.IsZero() {
		part = date.Format("20060102")
	}
	return bqwarehouse.LoadResult{Table: table, Date: date, Rows: rows, JobID: "clickstream_" + runID + "_" + table + "_" + part + "_a0"}
}

// emptyIsNil compares an empty list equal to a nil one: RowsOf leaves an
// empty REPEATED column nil, the warehouse reads it as an empty slice.
var emptyIsNil = cmpopts.EquateEmpty()

func parquetFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".parquet") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestLoadReplacesOwnedPartitions: a second run (a backfill) that owns some
// dates replaces exactly those partitions, emptying an owned date it has no
// rows for, and leaves the others; the local warehouse does the same.
func TestLoadReplacesOwnedPartitions(t *testing.T) {
	srv := newTables(t)
	out, tmp := filepath.Join(t.TempDir(), "warehouse"), t.TempDir()
	runs := []struct {
		runID  string
		owned  []time.Time
		events []schemas.Event
		want   []bqwarehouse.LoadResult
	}{
		{"first", []time.Time{day1, day2, day3}, slices.Concat(events("a", day1, 10), events("a", day2, 20), events("a", day3, 30)),
			[]bqwarehouse.LoadResult{loaded("first", "fact_events", day1, 10), loaded("first", "fact_events", day2, 20), loaded("first", "fact_events", day3, 30)}},
		// Owns day 2 (new rows) and day 3 (no rows, emptied without a job);
		// its day-1 rows are not its own.
		{"backfill", []time.Time{day2, day3}, slices.Concat(events("b", day1, 5), events("b", day2, 8)),
			[]bqwarehouse.LoadResult{loaded("backfill", "fact_events", day2, 8), {Table: "fact_events", Date: day3, Rows: 0}}},
	}
	for _, r := range runs {
		p, s := beam.NewPipelineWithRoot()
		ev := beam.CreateList(s, r.events)
		warehouse.Write(s, out, r.runID, "fact_events", ev)
		results := bqwarehouse.Load(s, options(srv, tmp, r.runID, r.owned...), "fact_events", ev)
		passert.Equals(s, results, toAny(r.want)...)
		counters, err := run(t, p)
		if err != nil {
			t.Fatalf("%s: %v", r.runID, err)
		}
		if _, err := warehouse.Commit(out, r.runID, r.owned); err != nil {
			t.Fatal(err)
		}
		if r.runID == "backfill" && (counters["rows_not_owned"] != 5 || counters["partitions_emptied"] != 1) {
			t.Errorf("%s: counters %v", r.runID, counters)
		}
	}
	if got := srv.Partitions("ds", "fact_events"); got["20261101"] != 10 || got["20261102"] != 8 || len(got) != 2 {
		t.Errorf("partitions %v, want day 1 from the first run, day 2 from the backfill, day 3 empty", got)
	}
	rows, err := bqfake.RowsOf[schemas.Event](srv.Rows("ds", "fact_events"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rows {
		if run := e.EventID[:1]; e.EventDate.Equal(day1) != (run == "a") {
			t.Errorf("%s on %s is from the wrong run", e.EventID, e.EventDate.Format(time.DateOnly))
		}
	}
	if !slices.Contains(srv.Requests(), "DELETE /projects/test-project/datasets/ds/tables/fact_events$20261103") {
		t.Error("day 3 was not deleted with its partition decorator")
	}
	sameRows(t, srv, out, "fact_events", func(e schemas.Event) string { return e.EventID })
}

func toAny[T any](values []T) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// TestLoadRetriedJobLoadsOnce: when the answer to jobs.insert is lost, the
// client retries it, BigQuery answers 409 for the job id, and Load waits for
// the job that exists: one job per partition, rows loaded once.
func TestLoadRetriedJobLoadsOnce(t *testing.T) {
	srv := newTables(t)
	srv.LoseJobInsertResponses(1)
	p, s := beam.NewPipelineWithRoot()
	results := bqwarehouse.Load(s, options(srv, t.TempDir(), "run-retry"), "fact_events", beam.CreateList(s, events("a", day1, 12)))
	passert.Equals(s, results, loaded("run-retry", "fact_events", day1, 12))
	counters, err := run(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if counters["load_jobs_already_existing"] != 1 || counters["load_jobs"] != 0 {
		t.Errorf("counters %v, want the one job found existing", counters)
	}
	if jobs := srv.Jobs(); len(jobs) != 1 {
		t.Errorf("%d jobs ran, want 1", len(jobs))
	}
	if got := srv.Partitions("ds", "fact_events"); got["20261101"] != 12 {
		t.Errorf("partitions %v", got)
	}
}

// TestLoadReusedRunID: a run id given again to other input meets its old
// jobs, which load other files: the run fails instead of passing the old
// load off as its own.
func TestLoadReusedRunID(t *testing.T) {
	srv := newTables(t)
	tmp := t.TempDir()
	for i, rows := range [][]schemas.Event{events("a", day1, 3), events("b", day1, 4)} {
		p, s := beam.NewPipelineWithRoot()
		bqwarehouse.Load(s, options(srv, tmp, "same"), "fact_events", beam.CreateList(s, rows))
		_, err := run(t, p)
		if i == 0 && err != nil {
			t.Fatal(err)
		}
		if i == 1 && (err == nil || !strings.Contains(err.Error(), "run ids must not be reused")) {
			t.Errorf("second run with the same run id: %v", err)
		}
	}
	if got := srv.Partitions("ds", "fact_events"); got["20261101"] != 3 {
		t.Errorf("partitions %v, want the first run's 3 rows", got)
	}
}

// TestLoadFailedJob: a load job that BigQuery fails for good is reported
// in its partition's result, with BigQuery's reason, and loads nothing
// there; it is not submitted again, and the other partitions load.
func TestLoadFailedJob(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(*bqfake.Server, *bigquery.Client)
		want  string
	}{
		// Partitioned by another column than the definition's: rows land
		// outside the partition the job replaces.
		{"row outside its partition", func(srv *bqfake.Server, client *bigquery.Client) {
			def := schemas.MustTable("fact_events")
			def.TimePartitioning.Field = "received_at"
			md, err := bqwarehouse.Metadata(def)
			if err != nil {
				t.Fatal(err)
			}
			if err := client.Dataset("ds").Table("fact_events").Create(context.Background(), md); err != nil {
				t.Fatal(err)
			}
		}, "Some rows belong to different partitions"},
		{"missing table", func(*bqfake.Server, *bigquery.Client) {}, "Not found: Table test-project:ds.fact_events"},
		{"refused row", func(srv *bqfake.Server, client *bigquery.Client) {
			createTables(t, client)
			srv.RejectRows(func(table string, row map[string]any) string {
				if row["event_id"] == "a-1101-0003" {
					return "the test refuses this row"
				}
				return ""
			})
		}, "the test refuses this row"},
		{"job failed as invalid", func(srv *bqfake.Server, client *bigquery.Client) {
			createTables(t, client)
			srv.FailJobs(1, "invalid")
		}, "invalid: bqfake: injected job failure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := newFake(t)
			tt.fault(srv, client)
			rows := events("a", day1, 6)
			for i := range rows {
				rows[i].ReceivedAt = day2.Add(time.Hour) // a day after the event
			}
			p, s := beam.NewPipelineWithRoot()
			results := bqwarehouse.Load(s, options(srv, t.TempDir(), "run-fail"), "fact_events", beam.CreateList(s, rows))
			passert.Equals(s, beam.ParDo(s, &describeFn{Want: tt.want}, results),
				"fact_events 2026-11-01 rows=0 job=clickstream_run-fail_fact_events_20261101_a0 failed=true")
			counters, err := run(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if counters["load_jobs_failed"] != 1 || counters["rows_loaded"] != 0 {
				t.Errorf("counters %v", counters)
			}
			if jobs := srv.Jobs(); len(jobs) > 1 {
				t.Errorf("%d jobs, want the one that failed", len(jobs))
			}
			if got := srv.Rows("ds", "fact_events"); len(got) != 0 {
				t.Errorf("%d rows loaded", len(got))
			}
		})
	}
}

func init() {
	register.DoFn1x1[bqwarehouse.LoadResult, string](&describeFn{})
}

// describeFn shows a LoadResult, and whether its Error holds Want.
type describeFn struct {
	Want string
}

func (f *describeFn) ProcessElement(r bqwarehouse.LoadResult) string {
	return fmt.Sprintf("%s %s rows=%d job=%s failed=%t", r.Table, r.Date.Format(time.DateOnly), r.Rows, r.JobID,
		r.Error != "" && strings.Contains(r.Error, f.Want))
}

// TestLoadRetriesFailedJob: a load job that fails transiently is followed
// by the next attempt, which loads the partition once. Before attempts,
// the job id was fixed per run, table and date: the retry met 409 and the
// same failed job, and the run could never load that partition.
//
// It is also where the counters are checked exactly. With one partition,
// one bundle reports them: Prism v2.77.0 holds a bundle's report of a
// counter it has no metadata for yet under the counter's short id alone,
// so the first reports of two concurrent bundles of one transform can
// overwrite each other (two partitions once summed to load_jobs 1).
func TestLoadRetriesFailedJob(t *testing.T) {
	srv := newTables(t)
	srv.FailJobs(1, "backendError")
	p, s := beam.NewPipelineWithRoot()
	results := bqwarehouse.Load(s, options(srv, t.TempDir(), "run-transient"), "fact_events", beam.CreateList(s, events("a", day1, 5)))
	retried := loaded("run-transient", "fact_events", day1, 5)
	retried.JobID, retried.Attempt = strings.TrimSuffix(retried.JobID, "_a0")+"_a1", 1
	passert.Equals(s, results, retried)
	counters, err := run(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Partitions("ds", "fact_events"); got["20261101"] != 5 || len(got) != 1 {
		t.Errorf("partitions %v", got)
	}
	var states []string
	for _, j := range srv.Jobs() {
		state := j.Status.State
		if j.Status.ErrorResult != nil {
			state += " " + j.Status.ErrorResult.Reason
		}
		states = append(states, j.JobReference.JobId+" "+state)
	}
	slices.Sort(states)
	want := []string{
		"clickstream_run-transient_fact_events_20261101_a0 DONE backendError",
		"clickstream_run-transient_fact_events_20261101_a1 DONE",
	}
	if !slices.Equal(states, want) {
		t.Errorf("jobs %v, want %v", states, want)
	}
	wantCounters := map[string]int64{"files_staged": 1, "rows_staged": 5, "load_jobs": 1, "load_job_retries": 1, "rows_loaded": 5}
	for name, n := range wantCounters {
		if counters[name] != n {
			t.Errorf("counter %s = %d, want %d (all: %v)", name, counters[name], n, counters)
		}
	}
	if counters["bytes_staged"] <= 0 {
		t.Errorf("counters %v: no bytes staged", counters)
	}
}

// TestLoadGCS stages through Cloud Storage (fake-gcs-server), as on
// Dataflow.
func TestLoadGCS(t *testing.T) {
	gcs := gcstest.Serve(t, "staging")
	srv := newTables(t)
	p, s := beam.NewPipelineWithRoot()
	results := bqwarehouse.Load(s, options(srv, "gs://staging/tmp", "run-gcs"), "fact_sessions",
		beam.Flatten(s, beam.CreateList(s, sessions(day1, 6)), beam.CreateList(s, sessions(day2, 3))))
	passert.Equals(s, results, loaded("run-gcs", "fact_sessions", day1, 6), loaded("run-gcs", "fact_sessions", day2, 3))
	if _, err := run(t, p); err != nil {
		t.Fatal(err)
	}
	for _, j := range srv.Jobs() {
		for _, uri := range j.Configuration.Load.SourceUris {
			if !strings.HasPrefix(uri, "gs://staging/tmp/clickstream/run-gcs/fact_sessions/session_date=") {
				t.Errorf("source %s", uri)
			}
		}
	}
	got, err := bqfake.RowsOf[schemas.Session](srv.Rows("ds", "fact_sessions"))
	if err != nil {
		t.Fatal(err)
	}
	want := append(sessions(day1, 6), sessions(day2, 3)...)
	slices.SortFunc(got, func(a, b schemas.Session) int { return cmp.Compare(a.SessionID, b.SessionID) })
	slices.SortFunc(want, func(a, b schemas.Session) int { return cmp.Compare(a.SessionID, b.SessionID) })
	if d := gocmp.Diff(want, got, emptyIsNil); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	left, err := gcs.ListObjectsWithOptionsPaginated("staging", fakestorage.ListOptions{Prefix: "tmp/"})
	if err != nil || len(left.Objects) != 0 {
		t.Errorf("objects left after loading: %d %v", len(left.Objects), err)
	}
}

func TestLoadPanics(t *testing.T) {
	ok := bqwarehouse.LoadOptions{Project: project, Dataset: "ds", TempLocation: t.TempDir(), RunID: "r", Endpoint: "http://127.0.0.1:1"}
	for _, tt := range []struct {
		name  string
		edit  func(*bqwarehouse.LoadOptions)
		table string
		want  string
	}{
		{"unknown table", nil, "fact_clicks", "unknown table"},
		{"wrong row type", nil, "fact_sessions", "stores schemas.Session"},
		{"no dataset", func(o *bqwarehouse.LoadOptions) { o.Dataset = "" }, "fact_events", "Dataset"},
		{"bad run id", func(o *bqwarehouse.LoadOptions) { o.RunID = "a/b" }, "fact_events", "run id"},
		{"local staging for BigQuery", func(o *bqwarehouse.LoadOptions) { o.Endpoint = "" }, "fact_events", "gs://"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			if tt.edit != nil {
				tt.edit(&o)
			}
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tt.want) {
					t.Errorf("panic %v, want one about %q", r, tt.want)
				}
			}()
			_, s := beam.NewPipelineWithRoot()
			bqwarehouse.Load(s, o, tt.table, beam.CreateList(s, events("a", day1, 1)))
		})
	}
}
