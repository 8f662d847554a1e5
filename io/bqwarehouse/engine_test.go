package bqwarehouse_test

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/schemas"
)

// writeRows writes rows of table into a Parquet file as Load stages them
// and returns its path.
func writeRows[T any](t *testing.T, table string, rows []T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), table+".parquet")
	if err := bqfake.WriteParquet(path, table, rows); err != nil {
		t.Fatal(err)
	}
	return path
}

// commitFacts does on BigQuery what a run does with a date's facts: mark
// the date pending, then replace its fact_events and fact_sessions
// partitions with load jobs.
func commitFacts(t *testing.T, r *bqwarehouse.JobRunner, runID string, date time.Time, evs []schemas.Event, ss []schemas.Session) {
	t.Helper()
	ctx := context.Background()
	if err := bqwarehouse.MarkPending(ctx, r, "ds", runID, []time.Time{date}); err != nil {
		t.Fatal(err)
	}
	for table, file := range map[string]string{"fact_events": writeRows(t, "fact_events", evs), "fact_sessions": writeRows(t, "fact_sessions", ss)} {
		ref := bigquery.NewGCSReference(file)
		ref.SourceFormat = bigquery.Parquet
		ref.ParquetOptions = &bigquery.ParquetOptions{EnableListInference: true}
		cfg := &bigquery.LoadConfig{Src: ref, Dst: r.Client.Dataset("ds").Table(table + "$" + date.Format("20060102")),
			WriteDisposition: bigquery.WriteTruncate, CreateDisposition: bigquery.CreateNever}
		if _, err := r.Run(ctx, "load_"+runID+"_"+table, cfg); err != nil {
			t.Fatal(err)
		}
	}
}

// dimsStep runs a dimension step of run runID on BigQuery.
func dimsStep(t *testing.T, r *bqwarehouse.JobRunner, runID string, dates ...time.Time) (dimensions.Result, error) {
	t.Helper()
	ctx := context.Background()
	e, err := bqwarehouse.NewEngine(ctx, bqwarehouse.EngineOptions{Runner: r, Dataset: "ds", RunID: runID})
	if err != nil {
		return dimensions.Result{}, err
	}
	res, err := dimensions.Run(ctx, e, dimensions.Options{RunID: runID, Dates: dates, StitchWindow: 24 * time.Hour})
	return res, errors.Join(err, e.Close(ctx))
}

// stitching are two dates of one device: anonymous on day 1, logged in on
// day 2 shortly after midnight, so that, with a stitch window of 24 hours,
// the login stitches day 1's evening session (rule 3) but not its morning
// one.
func stitching() (evs [2][]schemas.Event, ss [2][]schemas.Session) {
	event := func(id string, at time.Time, user string) schemas.Event {
		return schemas.Event{EventID: id, EventType: "page_view", EventDate: schemas.DateOf(at), EventTime: at, CreatedAt: at,
			DeviceID: "d1", UserKey: user, TimeSource: "created_at", DefaultChannelGroup: "Direct", DeviceType: "mobile", Source: "test",
			PageHost: "shop.example.com", PagePath: "/p/" + id, PageKey: "page-" + id}
	}
	session := func(id string, at time.Time, user string) schemas.Session {
		return schemas.Session{SessionID: id, SessionDate: schemas.DateOf(at), DeviceID: "d1", SessionStart: at, SessionEnd: at.Add(time.Minute),
			EventCount: 1, DefaultChannelGroup: "Direct", DeviceType: "mobile", Version: 1, UserKey: user, ResolvedUserKey: user}
	}
	morning, evening, login := day1.Add(30*time.Minute), day1.Add(22*time.Hour), day2.Add(time.Hour)
	evs[0] = []schemas.Event{event("e1", morning, ""), event("e2", evening, "")}
	ss[0] = []schemas.Session{session("s1", morning, ""), session("s2", evening, "")}
	evs[1] = []schemas.Event{event("e3", login, "u1")}
	ss[1] = []schemas.Session{session("s3", login, "u1")}
	return evs, ss
}

// resolved maps session ids to their resolved_user_key.
func resolved(t *testing.T, srv *bqfake.Server) map[string]string {
	t.Helper()
	rows, err := bqfake.RowsOf[schemas.Session](srv.Rows("ds", "fact_sessions"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range rows {
		out[s.SessionID] = s.ResolvedUserKey
	}
	return out
}

// stateDates maps dates (YYYY-MM-DD) to their status in state_dates.
func stateDates(t *testing.T, srv *bqfake.Server) map[string]string {
	t.Helper()
	rows, err := bqfake.RowsOf[schemas.StateDate](srv.Rows("ds", "state_dates"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range rows {
		out[s.EventDate.Format(time.DateOnly)] = s.Status
	}
	return out
}

// Two daily steps on BigQuery: the second's login stitches the first
// day's evening session, whose resolved_user_key alone is updated; every
// job went through the JobRunner with ids of the run and the step; the
// tables keep their definitions (modes, descriptions), the lease is given
// back and the session ended.
func TestEngineStep(t *testing.T) {
	srv, r, _ := newRunner(t, 0)
	evs, ss := stitching()
	commitFacts(t, r, "facts-1", day1, evs[0], ss[0])
	if _, err := dimsStep(t, r, "run-1", day1); err != nil {
		t.Fatal(err)
	}
	commitFacts(t, r, "facts-2", day2, evs[1], ss[1])
	first := len(srv.Jobs())
	res, err := dimsStep(t, r, "run-2", day2)
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]string{"s1": "", "s2": "u1", "s3": "u1"}
	if got := resolved(t, srv); !maps.Equal(got, want) {
		t.Errorf("resolved_user_key %v, want %v", got, want)
	}
	if len(res.Rewritten) != 1 || !res.Rewritten[0].Date.Equal(day1) || res.Rewritten[0].Rows != 2 || res.Rewritten[0].Changed != 1 {
		t.Errorf("rewritten %+v, want 1 of day 1's 2 rows", res.Rewritten)
	}
	if res.Devices != 1 || res.Users != 1 || res.DeviceUsers != 1 || res.Pages != 3 {
		t.Errorf("result %+v", res)
	}
	if got := stateDates(t, srv); got["2026-11-01"] != schemas.StatusBuilt || got["2026-11-02"] != schemas.StatusBuilt {
		t.Errorf("state_dates %v, want both built", got)
	}
	if rows := srv.Rows("ds", "dimension_lease"); len(rows) != 0 {
		t.Errorf("the lease was not given back: %v", rows)
	}

	jobs := srv.Jobs()[first:]
	for _, j := range jobs {
		if id := j.JobReference.JobId; !strings.HasPrefix(id, "clickstream_run-2_dims_") || !strings.HasSuffix(id, "_a0") {
			t.Errorf("job %s: not a job of run-2's step, or not its first attempt", id)
		}
	}
	if last := jobs[len(jobs)-1]; !strings.Contains(last.JobReference.JobId, "_end_session_") || last.Configuration.Query.Query != "CALL BQ.ABORT_SESSION()" {
		t.Errorf("the last job %s does not end the session", last.JobReference.JobId)
	}

	ctx := context.Background()
	if err := bqwarehouse.EnsureTables(ctx, r.Client, "ds", schemas.Tables(), false); err != nil {
		t.Errorf("the tables no longer match their definitions: %v", err)
	}
	for _, table := range []string{"dim_devices", "fact_sessions", "state_dates"} {
		md, ok := srv.Table("ds", table)
		if !ok {
			t.Fatalf("no table %s", table)
		}
		for i, c := range schemas.MustTable(table).Schema {
			if f := md.Schema.Fields[i]; f.Description != c.Description {
				t.Errorf("%s.%s: description %q, want %q", table, c.Name, f.Description, c.Description)
			}
		}
	}
}

// A model job that fails leaves every table as it was and the date
// pending, and gives the lease back; the next run's step completes it. A
// transaction that a concurrent one aborts is run again whole.
func TestEngineFailures(t *testing.T) {
	srv, r, _ := newRunner(t, 0)
	evs, ss := stitching()
	commitFacts(t, r, "facts-1", day1, evs[0], ss[0])
	if _, err := dimsStep(t, r, "run-1", day1); err != nil {
		t.Fatal(err)
	}
	commitFacts(t, r, "facts-2", day2, evs[1], ss[1])
	before := map[string][]map[string]any{}
	tables := []string{"dim_device_users", "dim_devices", "dim_users", "dim_pages", "state_device_days", "state_device_user_runs", "state_page_days", "state_dates", "fact_sessions"}
	for _, table := range tables {
		before[table] = srv.Rows("ds", table)
	}

	srv.FailQueryJobs("_new_dim_users_", 1, "invalidQuery")
	_, err := dimsStep(t, r, "run-2", day2)
	var failed *bqwarehouse.JobFailedError
	if !errors.As(err, &failed) || !strings.Contains(failed.ID, "_new_dim_users_") {
		t.Fatalf("step: %v, want new_dim_users' job failed", err)
	}
	for _, table := range tables {
		if got := srv.Rows("ds", table); !equalRows(got, before[table]) {
			t.Errorf("%s changed by a failed step:\n got  %v\n want %v", table, got, before[table])
		}
	}
	if got := stateDates(t, srv); got["2026-11-02"] != schemas.StatusPending {
		t.Errorf("state_dates %v, want 2026-11-02 pending", got)
	}
	if rows := srv.Rows("ds", "dimension_lease"); len(rows) != 0 {
		t.Errorf("the failed step kept the lease: %v", rows)
	}

	srv.AbortTransactions("_apply_", 1)
	res, err := dimsStep(t, r, "run-3")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(res.Dates, []time.Time{day2}, time.Time.Equal) {
		t.Errorf("run-3's step processed %v, want the pending %v", res.Dates, day2)
	}
	if got := resolved(t, srv); got["s2"] != "u1" {
		t.Errorf("resolved_user_key %v: run-3 did not complete the pending date", got)
	}
	var applies []string
	for _, j := range srv.Jobs() {
		if strings.Contains(j.JobReference.JobId, "run-3") && strings.Contains(j.JobReference.JobId, "_apply_") {
			applies = append(applies, j.JobReference.JobId[strings.LastIndex(j.JobReference.JobId, "_"):]+" "+j.Status.State)
		}
	}
	if !slices.Equal(applies, []string{"_a0 DONE", "_a1 DONE"}) {
		t.Errorf("apply attempts %v, want an aborted a0 then a1", applies)
	}
}

func equalRows(a, b []map[string]any) bool {
	return len(a) == len(b) && slices.EqualFunc(a, b, func(x, y map[string]any) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !equalValue(v, w) {
				return false
			}
		}
		return true
	})
}

func equalValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	la, ok := a.([]any)
	if !ok {
		return a == b
	}
	lb, ok := b.([]any)
	return ok && slices.EqualFunc(la, lb, equalValue)
}

// Two runs' steps never interleave: while one holds the lease another
// run's step fails at once, naming the holder; a step of the same run (a
// retried step) takes it over; after the lease's time another run takes
// it over, and the step that lost it cannot write.
func TestEngineLease(t *testing.T) {
	srv, r, _ := newRunner(t, 0)
	ctx := context.Background()
	evs, ss := stitching()
	commitFacts(t, r, "facts-1", day1, evs[0], ss[0])
	start := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	engine := func(run string, now time.Time) (*bqwarehouse.Engine, error) {
		return bqwarehouse.NewEngine(ctx, bqwarehouse.EngineOptions{Runner: r, Dataset: "ds", RunID: run, LeaseTTL: time.Hour, Now: func() time.Time { return now }})
	}
	a, err := engine("run-a", start)
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine("run-b", start.Add(59*time.Minute))
	var held *bqwarehouse.LeaseHeldError
	if !errors.As(err, &held) || held.Holder.RunID != "run-a" || held.Holder.StepID != a.Step() || !held.Holder.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("run-b while run-a holds the lease: %v, want a LeaseHeldError naming run-a", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "run run-a holds the lease") || !strings.Contains(msg, "2026-11-02T04:00:00Z") {
		t.Errorf("message %q does not name the holder and when its lease ends", msg)
	}

	retried, err := engine("run-a", start.Add(time.Minute))
	if err != nil {
		t.Fatalf("a retried step of run-a: %v", err)
	}
	if _, err := dimensions.Run(ctx, a, dimensions.Options{RunID: "run-a", Dates: []time.Time{day1}}); err == nil || !strings.Contains(err.Error(), "no longer holds the lease") {
		t.Errorf("the step whose lease was taken over: %v, want it refused", err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stateDates(t, srv); got["2026-11-01"] != schemas.StatusPending {
		t.Errorf("state_dates %v: the step without the lease wrote", got)
	}

	b, err := engine("run-b", start.Add(2*time.Hour))
	if err != nil {
		t.Fatalf("run-b after the lease's time: %v", err)
	}
	if _, err := dimensions.Run(ctx, b, dimensions.Options{RunID: "run-b", Dates: []time.Time{day1}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := retried.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stateDates(t, srv); got["2026-11-01"] != schemas.StatusBuilt {
		t.Errorf("state_dates %v, want run-b's step to have built 2026-11-01", got)
	}
	if rows := srv.Rows("ds", "dimension_lease"); len(rows) != 0 {
		t.Errorf("lease rows left: %v", rows)
	}
}
