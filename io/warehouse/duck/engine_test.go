package duck_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// Reads counts the rows a model's scans read: a filter on the partition
// column reads that partition's files only, a temporary table counts apart,
// and Empty reads nothing.
func TestEngineReads(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "warehouse")
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var events []schemas.Event
	for d, n := range []int{3, 5} {
		for i := range n {
			date := day.AddDate(0, 0, d)
			events = append(events, schemas.Event{EventID: fmt.Sprintf("e%d-%d", d, i), EventType: "page_view",
				EventDate: date, EventTime: date.Add(time.Hour), CreatedAt: date, DeviceID: "d1",
				TimeSource: "created_at", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "test"})
		}
	}
	if err := warehouse.Stage(dir, "facts", "fact_events", events); err != nil {
		t.Fatal(err)
	}
	e := commitAndOpen(t, dir, "facts")
	query := "SELECT event_id FROM fact_events WHERE event_date BETWEEN @day AND @day"
	n, err := e.Materialize(ctx, "second_day", query, models.Params{"day": models.DateOf(day.AddDate(0, 0, 1))})
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("second_day has %d rows, want 5", n)
	}
	if _, err := e.Query(ctx, "count", "SELECT COUNT(*) FROM second_day", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Empty(ctx, "nothing", query, models.Params{"day": models.DateOf(day)}); err != nil {
		t.Fatal(err)
	}
	reads := e.Reads()
	if len(reads) != 2 {
		t.Fatalf("reads %+v, want one per Materialize and Query", reads)
	}
	if got := reads[0]; got.Model != "second_day" || got.Tables["fact_events"] != 5 || len(got.Tables) != 1 || got.Temporary != 0 {
		t.Errorf("second_day read %+v, want 5 rows of fact_events", got)
	}
	if got := reads[1]; got.Tables["fact_events"] != 0 || got.Temporary != 5 {
		t.Errorf("count read %+v, want the 5 rows of second_day", got)
	}
}

// Apply empties a state partition whose date lost its last row, replaces
// the other partitions it lists and the tables it replaces, and leaves
// everything else alone: other dates, other tables.
func TestApplyEmptiesPartition(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "warehouse")
	day1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day2, day3 := day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 2)
	var pages []schemas.PageDay
	for _, d := range []time.Time{day1, day2, day3} {
		pages = append(pages, schemas.PageDay{EventDate: d, PageKey: "k-" + d.Format("0102"), Host: "shop", Path: "/"})
	}
	if err := warehouse.Stage(dir, "state", "state_page_days", pages); err != nil {
		t.Fatal(err)
	}
	if err := warehouse.Stage(dir, "state", "dim_pages", []schemas.Page{{PageKey: "old", PageType: "other"}}); err != nil {
		t.Fatal(err)
	}
	e := commitAndOpen(t, dir, "state")
	// Day 1 loses its page, day 2 gets another; day 3 is not the step's.
	if _, err := e.Materialize(ctx, "new_pages", "SELECT event_date, 'k-new' AS page_key, host, path FROM state_page_days WHERE event_date = @day",
		models.Params{"day": models.DateOf(day2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Materialize(ctx, "new_dim", "SELECT 'new' AS page_key, CAST(NULL AS STRING) AS host, CAST(NULL AS STRING) AS path, 'home' AS page_type", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(ctx, []dimensions.Output{
		{Table: "state_page_days", Source: "new_pages", Write: dimensions.ReplacePartitions, Dates: []time.Time{day1, day2}},
		{Table: "dim_pages", Source: "new_dim", Write: dimensions.ReplaceTable},
	}); err != nil {
		t.Fatal(err)
	}
	got := readRows[schemas.PageDay](t, dir, "state_page_days")
	var keys []string
	for _, p := range got {
		keys = append(keys, p.EventDate.Format("0102")+" "+p.PageKey)
	}
	if want := []string{"1102 k-new", "1103 k-1103"}; !slices.Equal(keys, want) {
		t.Errorf("state_page_days %v, want %v", keys, want)
	}
	if dates, _ := warehouse.Dates(dir, "state_page_days"); !slices.Equal(dates, []time.Time{day2, day3}) {
		t.Errorf("state_page_days partitions %v, want day 1 removed", dates)
	}
	dim := readRows[schemas.Page](t, dir, "dim_pages")
	if len(dim) != 1 || dim[0].PageKey != "new" {
		t.Errorf("dim_pages %+v, want replaced by the new row", dim)
	}
}

// An UpdateColumn output sets the column in exactly the rows whose key
// matches, also when list columns with several elements (whose values
// shift the positions of the later columns in a Parquet row) come before
// the key, to a value or to NULL; every other value stays as stored, and a
// partition without a change is not rewritten.
func TestApplyUpdatesColumn(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "warehouse")
	day1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	revenue := 12.5
	session := func(id string, day time.Time, resolved string) schemas.Session {
		return schemas.Session{SessionID: id, SessionDate: day, DeviceID: "d-" + id, ResolvedUserKey: resolved,
			SessionStart: day.Add(time.Hour), SessionEnd: day.Add(2 * time.Hour), Revenue: &revenue,
			PagePathSequence: []string{"/", "/p/1", "/cart"}, TrafficSource: "(direct)", TrafficMedium: "(none)",
			TrafficCampaign: "(none)", DefaultChannelGroup: "Direct", DeviceType: "desktop", Version: 2,
			RevenueByCurrency: []schemas.CurrencyRevenue{{Currency: "EUR", Revenue: 10}, {Currency: "USD", Revenue: 2.5}}}
	}
	before := []schemas.Session{
		session("s1", day1, ""), session("s2", day1, "old"), session("s3", day1, "keep"), session("s4", day2, "other-day"),
	}
	if err := warehouse.Stage(dir, "facts", "fact_sessions", before); err != nil {
		t.Fatal(err)
	}
	e := commitAndOpen(t, dir, "facts")
	// s1 gets a user, s2 loses its own; s3's version does not match, nor
	// does day 2's change.
	day2Files, err := filepath.Glob(filepath.Join(dir, "fact_sessions", "*2026-11-02", "*"))
	if err != nil || len(day2Files) != 1 {
		t.Fatalf("day 2 files %v (%v), want one", day2Files, err)
	}
	columns := []dimensions.Column{{Name: "session_date", Type: "DATE"}, {Name: "session_id", Type: "STRING"},
		{Name: "version", Type: "INT64"}, {Name: "resolved_user_key", Type: "STRING"}}
	if err := e.Load(ctx, "changes", columns, [][]any{{day1, "s1", int64(2), "u1"}, {day1, "s2", int64(2), nil}, {day1, "s3", int64(1), "stale"}, {day2, "s9", int64(2), "none"}}); err != nil {
		t.Fatal(err)
	}
	updated, err := e.Apply(ctx, []dimensions.Output{{Table: "fact_sessions", Source: "changes", Write: dimensions.UpdateColumn,
		Key: []string{"session_date", "session_id", "version"}, Set: "resolved_user_key"}})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(updated, func(a, b dimensions.Updated) int { return a.Date.Compare(b.Date) })
	if want := []dimensions.Updated{{Table: "fact_sessions", Date: day1, Rows: 3, Changed: 2}, {Table: "fact_sessions", Date: day2, Rows: 1}}; !slices.Equal(updated, want) {
		t.Errorf("updated %+v, want %+v", updated, want)
	}
	if now, err := filepath.Glob(filepath.Join(dir, "fact_sessions", "*2026-11-02", "*")); err != nil || !slices.Equal(now, day2Files) {
		t.Errorf("day 2 files %v (%v), want %v untouched", now, err, day2Files)
	}
	got := readRows[schemas.Session](t, dir, "fact_sessions")
	want := slices.Clone(before)
	want[0].ResolvedUserKey, want[1].ResolvedUserKey = "u1", ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
}

// Apply stages an output while it reads the next: when a later read
// fails, it reports that output and commits nothing, also not what an
// earlier output staged meanwhile.
func TestApplyFailedReadCommitsNothing(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "warehouse")
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	before := []schemas.Session{{SessionID: "s1", SessionDate: day, DeviceID: "d1", SessionStart: day, SessionEnd: day, Version: 1}}
	if err := warehouse.Stage(dir, "facts", "fact_sessions", before); err != nil {
		t.Fatal(err)
	}
	e := commitAndOpen(t, dir, "facts")
	columns := []dimensions.Column{{Name: "session_date", Type: "DATE"}, {Name: "session_id", Type: "STRING"},
		{Name: "version", Type: "INT64"}, {Name: "resolved_user_key", Type: "STRING"}}
	if err := e.Load(ctx, "changes", columns, [][]any{{day, "s1", int64(1), "u1"}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Apply(ctx, []dimensions.Output{
		{Table: "fact_sessions", Source: "changes", Write: dimensions.UpdateColumn,
			Key: []string{"session_date", "session_id", "version"}, Set: "resolved_user_key"},
		{Table: "dim_pages", Source: "no_such_model", Write: dimensions.ReplaceTable},
	})
	if err == nil || !strings.Contains(err.Error(), "write dim_pages") {
		t.Fatalf("Apply: %v, want the failed read of dim_pages", err)
	}
	got := readRows[schemas.Session](t, dir, "fact_sessions")
	if len(got) != 1 || got[0].ResolvedUserKey != "" {
		t.Errorf("fact_sessions after a failed Apply: %+v, want s1 still unresolved", got)
	}
}

// readRows returns the committed rows of table in the warehouse at dir.
func readRows[T any](t *testing.T, dir, table string) []T {
	t.Helper()
	rows, err := warehouse.ReadRows[T](dir, table, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// commitAndOpen commits what runID staged in the warehouse at dir and
// opens a dimension step's engine on it, closed when the test ends.
func commitAndOpen(t *testing.T, dir, runID string) *duck.Engine {
	t.Helper()
	if _, err := warehouse.Commit(dir, runID, nil); err != nil {
		t.Fatal(err)
	}
	e, err := duck.NewEngine(context.Background(), dir, "dims")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}
