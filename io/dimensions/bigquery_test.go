//go:build cgo

package dimensions_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/googleapis/gax-go/v2"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// The BigQuery engine (io/bqwarehouse) on the in-process fake, against the
// DuckDB engine: a mirror receives every commit and step of a local
// warehouse, and after each step its tables hold exactly the local
// warehouse's rows. The fake runs the SQL on DuckDB too, so this checks
// what the BigQuery engine does with the models' results (sessions,
// temporary tables, the transaction of DML, the lease), not BigQuery's
// dialect (make sqlcheck does).

// mirror is a BigQuery dataset that follows a local warehouse.
type mirror struct {
	t      *testing.T
	w      *wh
	srv    *bqfake.Server
	runner *bqwarehouse.JobRunner
}

func newMirror(t *testing.T, w *wh) *mirror {
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
	return &mirror{t: t, w: w, srv: srv, runner: &bqwarehouse.JobRunner{Client: client, Backoff: fast, Poll: fast}}
}

// commit commits a date's facts locally and does the same on BigQuery:
// the date marked pending under the same run id, then its fact_events and
// fact_sessions partitions replaced by load jobs.
func (m *mirror) commit(date time.Time, f facts) {
	m.t.Helper()
	m.w.commit(date, f)
	run := fmt.Sprintf("facts-%03d", m.w.runs) // the id wh.commit used
	ctx := context.Background()
	if err := bqwarehouse.MarkPending(ctx, m.runner, "ds", run, []time.Time{date}); err != nil {
		m.t.Fatal(err)
	}
	load := func(table, file string) {
		ref := bigquery.NewGCSReference(file)
		ref.SourceFormat = bigquery.Parquet
		ref.ParquetOptions = &bigquery.ParquetOptions{EnableListInference: true}
		cfg := &bigquery.LoadConfig{Src: ref, Dst: m.runner.Client.Dataset("ds").Table(table + "$" + date.Format("20060102")),
			WriteDisposition: bigquery.WriteTruncate, CreateDisposition: bigquery.CreateNever}
		if _, err := m.runner.Run(ctx, "load_"+run+"_"+table, cfg); err != nil {
			m.t.Fatal(err)
		}
	}
	load("fact_events", parquetFile(m.t, "fact_events", f.events))
	load("fact_sessions", parquetFile(m.t, "fact_sessions", f.sessions))
}

func parquetFile[T any](t *testing.T, table string, rows []T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), table+".parquet")
	if err := bqfake.WriteParquet(path, table, rows); err != nil {
		t.Fatal(err)
	}
	return path
}

// step runs a step on both engines, and checks that they agree: the same
// result, the same rows in every table the step writes.
func (m *mirror) step(what string, dates []time.Time, rebuild bool) dimensions.Result {
	m.t.Helper()
	local, remote, lerr, rerr := m.tryStep(dates, rebuild, "", nil)
	if lerr != nil || rerr != nil {
		m.t.Fatalf("%s: DuckDB: %v; BigQuery: %v", what, lerr, rerr)
	}
	m.check(what, local, remote)
	return local
}

// tryStep runs a step on both engines: locally under wrap (when set), on
// BigQuery after fault (when set) strikes the fake.
func (m *mirror) tryStep(dates []time.Time, rebuild bool, fault string, wrap func(dimensions.Engine) dimensions.Engine) (local, remote dimensions.Result, lerr, rerr error) {
	m.t.Helper()
	local, reads, lerr := m.w.tryStep(dates, rebuild, wrap)
	if lerr == nil {
		m.w.reads = append(m.w.reads, reads)
	}
	run := fmt.Sprintf("dims-%03d", m.w.runs) // the id wh.tryStep used
	if fault != "" {
		m.srv.FailQueryJobs(fault, 1, "invalidQuery")
	}
	ctx := context.Background()
	e, err := bqwarehouse.NewEngine(ctx, bqwarehouse.EngineOptions{Runner: m.runner, Dataset: "ds", RunID: run})
	if err != nil {
		return local, remote, lerr, err
	}
	remote, rerr = dimensions.Run(ctx, e, dimensions.Options{
		RunID: run, Dates: dates, Rebuild: rebuild, StitchWindow: m.w.window, PageTypes: m.w.types.Rules(),
	})
	return local, remote, lerr, errors.Join(rerr, e.Close(ctx))
}

// check fails the test when the engines' results or tables differ.
func (m *mirror) check(what string, local, remote dimensions.Result) {
	m.t.Helper()
	if l, r := fmt.Sprintf("%+v", utc(local)), fmt.Sprintf("%+v", utc(remote)); l != r {
		m.t.Fatalf("%s: results differ:\n DuckDB   %s\n BigQuery %s", what, l, r)
	}
	for table, d := range m.tables() {
		if d != "" {
			m.t.Fatalf("%s: %s differs (- DuckDB, + BigQuery):\n%s", what, table, d)
		}
	}
}

// tables compares each table the step writes, locally and on BigQuery:
// by table, "" or how they differ.
func (m *mirror) tables() map[string]string {
	m.t.Helper()
	return map[string]string{
		"state_device_days":      compareTable[schemas.DeviceDay](m, "state_device_days"),
		"state_device_user_runs": compareTable[schemas.DeviceUserRun](m, "state_device_user_runs"),
		"state_page_days":        compareTable[schemas.PageDay](m, "state_page_days"),
		"state_dates":            compareTable[schemas.StateDate](m, "state_dates"),
		"dim_device_users":       compareTable[schemas.DeviceUser](m, "dim_device_users"),
		"dim_devices":            compareTable[schemas.Device](m, "dim_devices"),
		"dim_users":              compareTable[schemas.User](m, "dim_users"),
		"dim_pages":              compareTable[schemas.Page](m, "dim_pages"),
		"fact_sessions":          compareTable[schemas.Session](m, "fact_sessions"),
	}
}

func compareTable[T any](m *mirror, table string) string {
	m.t.Helper()
	local, err := warehouse.ReadRows[T](m.w.dir, table, nil)
	if err != nil {
		m.t.Fatal(err)
	}
	remote, err := bqfake.RowsOf[T](m.srv.Rows("ds", table))
	if err != nil {
		m.t.Fatal(err)
	}
	l, r := canonical(local), canonical(remote)
	var b strings.Builder
	for _, x := range l {
		if !slices.Contains(r, x) {
			fmt.Fprintf(&b, "- %s\n", x)
		}
	}
	for _, x := range r {
		if !slices.Contains(l, x) {
			fmt.Fprintf(&b, "+ %s\n", x)
		}
	}
	if b.Len() == 0 && len(l) != len(r) {
		fmt.Fprintf(&b, "%d rows locally, %d on BigQuery\n", len(l), len(r))
	}
	return b.String()
}

// canonical is rows as sorted text, times in UTC.
func canonical[T any](rows []T) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%+v", utc(r))
	}
	slices.Sort(out)
	return out
}

// utc is v, a struct, with its time.Time fields (also in slices of
// structs) in UTC.
func utc[T any](v T) T {
	setUTC(reflect.ValueOf(&v).Elem())
	return v
}

func setUTC(v reflect.Value) {
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			setUTC(v.Field(i))
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			setUTC(v.Index(i))
		}
	}
}

// The BigQuery engine gives the DuckDB engine's rows on randomized worlds,
// 4 to a warehouse, compared after every step: daily steps in order with a
// date held back and backfilled, a re-run of an earlier date with other
// facts and one with the same facts; daily steps in a random order; one
// step for every date at once then a rebuild.
func TestBigQueryEngineEqualsDuckDB(t *testing.T) {
	sequences := 6
	if testing.Short() {
		sequences = 3
	}
	for i := range sequences {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			p := newPair(t, uint64(700+i), 4)
			m := newMirror(t, p.inc)
			days := len(p.days)
			date := func(d int) time.Time { return day0.AddDate(0, 0, d) }
			switch i % 3 {
			case 0:
				held := 1 + i%(days-1)
				for d := range days {
					if d != held {
						m.commit(date(d), merge(p.days[d]))
						m.step(fmt.Sprintf("daily %d", d), []time.Time{date(d)}, false)
					}
				}
				rerun := i % held
				p.redraw(rerun)
				m.commit(date(rerun), merge(p.days[rerun]))
				m.step(fmt.Sprintf("re-run of %d with other facts", rerun), []time.Time{date(rerun)}, false)
				m.commit(date(held), merge(p.days[held]))
				m.step(fmt.Sprintf("backfill of %d", held), []time.Time{date(held)}, false)
				m.commit(date(rerun), merge(p.days[rerun]))
				m.step(fmt.Sprintf("re-run of %d, unchanged", rerun), []time.Time{date(rerun)}, false)
			case 1:
				for _, d := range p.gens[0].rng.Perm(days) {
					m.commit(date(d), merge(p.days[d]))
					m.step(fmt.Sprintf("date %d", d), []time.Time{date(d)}, false)
				}
			case 2:
				var all []time.Time
				for d := range days {
					m.commit(date(d), merge(p.days[d]))
					all = append(all, date(d))
				}
				m.step("every date at once", all, false)
				m.step("rebuild", nil, true)
			}
			check(t, "BigQuery's tables against the Go rules", m.w.snapshot(), m.w.oracle(), p.gens)
		})
	}
}

// A step whose model job (or whose transaction) fails writes nothing on
// BigQuery: every table as it was, the date pending in state_dates, the
// lease given back; the next run's step processes the date with its own
// and gives the DuckDB engine's rows again.
func TestBigQueryFailedStepStaysPending(t *testing.T) {
	for _, fail := range []string{"new_dim_users", "resolved_sessions", "apply"} {
		t.Run(fail, func(t *testing.T) {
			t.Parallel()
			p := newPair(t, 7, 6)
			m := newMirror(t, p.inc)
			m.commit(day0, merge(p.days[0]))
			m.step("daily 0", []time.Time{day0}, false)
			date := day0.AddDate(0, 0, 1)
			m.commit(date, merge(p.days[1]))
			before := map[string][]map[string]any{}
			for table := range m.tables() {
				before[table] = m.srv.Rows("ds", table)
			}

			_, _, lerr, rerr := m.tryStep([]time.Time{date}, false, "_"+fail+"_", func(e dimensions.Engine) dimensions.Engine {
				return failing{e, fail}
			})
			var failed *bqwarehouse.JobFailedError
			if !errors.Is(lerr, errInjected) || !errors.As(rerr, &failed) || !strings.Contains(failed.ID, "_"+fail+"_") {
				t.Fatalf("the failing step: DuckDB %v, BigQuery %v; want both to fail at %s", lerr, rerr, fail)
			}
			for table, rows := range before {
				if got := m.srv.Rows("ds", table); fmt.Sprint(got) != fmt.Sprint(rows) {
					t.Errorf("%s changed on BigQuery by a step that failed", table)
				}
			}
			states, err := bqfake.RowsOf[schemas.StateDate](m.srv.Rows("ds", "state_dates"))
			if err != nil {
				t.Fatal(err)
			}
			if i := slices.IndexFunc(states, func(s schemas.StateDate) bool { return s.EventDate.Equal(date) }); i < 0 || states[i].Status != schemas.StatusPending {
				t.Errorf("state_dates on BigQuery after the failure: %+v, want %s pending", states, date.Format(time.DateOnly))
			}
			if rows := m.srv.Rows("ds", "dimension_lease"); len(rows) != 0 {
				t.Errorf("the failed step kept the lease: %v", rows)
			}

			next := day0.AddDate(0, 0, 2)
			m.commit(next, merge(p.days[2]))
			res := m.step("daily 2, with 1 pending", []time.Time{next}, false)
			if want := []time.Time{date, next}; !slices.Equal(res.Dates, want) {
				t.Errorf("the next step processed %v, want %v", res.Dates, want)
			}
		})
	}
}
