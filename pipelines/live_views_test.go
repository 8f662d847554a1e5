package pipelines

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
	"github.com/example/clickstream/transforms/livewindow"
)

// liveTablesMatchViews checks a streaming run's live_funnel_10m,
// live_products_1h and live_search_1h against their batch definitions
// (sql/live) computed over the rows the same run wrote to fact_events: for
// every window the stream saw on time, the current live row (highest pane)
// has exactly the view's counts.
//
// A window is left out when one of its events, or for searches one of the
// 30-minute follow-ups, may have missed the live window: an event of a
// held-back message (heldBack holds their lines: they arrive after the
// whole day) or one received more than the allowed lateness minus an hour
// after the window's end (the reader's watermark follows the pulls' event
// times loosely). The check fails when it leaves out more than half of the
// windows, so that it cannot pass by comparing nothing.
func liveTablesMatchViews(t *testing.T, out string, heldBack [][]byte) {
	t.Helper()
	events, err := warehouse.ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	late := map[string]bool{}
	for _, line := range heldBack {
		for _, m := range eventIDPattern.FindAllSubmatch(line, -1) {
			late[string(m[1])] = true
		}
	}
	ctx := context.Background()
	w, err := warehousesql.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	if _, err := w.CreateViews(ctx, "../sql/views"); err != nil {
		t.Fatal(err)
	}

	funnel, err := warehouse.ReadRows[schemas.LiveFunnel](out, "live_funnel_10m", nil)
	if err != nil {
		t.Fatal(err)
	}
	compareLive(t, w, events, late, liveCheck{
		table: "live_funnel_10m", query: "../sql/live/funnel_10m.sql", window: 10 * time.Minute,
		keys: []string{"default_channel_group", "device_type"}, counts: []string{"product_viewers", "cart_adders", "checkout_starters", "purchasers"},
	}, current(funnel, func(r schemas.LiveFunnel) liveRow {
		return liveRow{r.WindowStart, r.PaneIndex, []any{r.DefaultChannelGroup, r.DeviceType}, []int64{r.ProductViewers, r.CartAdders, r.CheckoutStarters, r.Purchasers}}
	}))

	products, err := warehouse.ReadRows[schemas.LiveProduct](out, "live_products_1h", nil)
	if err != nil {
		t.Fatal(err)
	}
	compareLive(t, w, events, late, liveCheck{
		table: "live_products_1h", query: "../sql/live/products_1h.sql", window: time.Hour,
		keys: []string{"product_id", "category_id"}, counts: []string{"product_views", "add_to_carts", "units_purchased"},
	}, current(products, func(r schemas.LiveProduct) liveRow {
		return liveRow{r.WindowStart, r.PaneIndex, []any{r.ProductID, r.CategoryID}, []int64{r.ProductViews, r.AddToCarts, r.UnitsPurchased}}
	}))

	searches, err := warehouse.ReadRows[schemas.LiveSearch](out, "live_search_1h", nil)
	if err != nil {
		t.Fatal(err)
	}
	compareLive(t, w, events, late, liveCheck{
		table: "live_search_1h", query: "../sql/live/search_1h.sql", window: time.Hour, followUp: 30 * time.Minute,
		keys: []string{"query"}, counts: []string{"searches", "reported_searches", "zero_result_searches", "followed_searches"},
	}, current(searches, func(r schemas.LiveSearch) liveRow {
		return liveRow{r.WindowStart, r.PaneIndex, []any{r.Query}, []int64{r.Searches, r.ReportedSearches, r.ZeroResultSearches, r.FollowedSearches}}
	}))
}

var eventIDPattern = regexp.MustCompile(`"event_id"\s*:\s*"([^"]+)"`)

// liveCheck is what compareLive compares: a live table, its sql/live
// query, its window length, how long after a window an event still counts
// for it (searches' follow-ups), and the columns that key and count a row.
type liveCheck struct {
	table, query string
	window       time.Duration
	followUp     time.Duration
	keys, counts []string
}

// liveRow is a live table's row as compareLive sees it.
type liveRow struct {
	start  time.Time
	pane   int64
	key    []any
	counts []int64
}

// current keeps, per window and key, the row with the highest pane index,
// as the _current views do; it returns them by "start|key".
func current[T any](rows []T, of func(T) liveRow) map[string]liveRow {
	out := map[string]liveRow{}
	for _, r := range rows {
		row := of(r)
		id := rowID(row.start, row.key)
		if have, ok := out[id]; !ok || row.pane >= have.pane {
			out[id] = row
		}
	}
	return out
}

func rowID(start time.Time, key []any) string {
	return start.UTC().Format(time.RFC3339) + "|" + fmt.Sprint(key...)
}

func compareLive(t *testing.T, w *warehousesql.Warehouse, events []schemas.Event, late map[string]bool, c liveCheck, live map[string]liveRow) {
	t.Helper()
	lateness := livewindow.DefaultAllowedLateness - time.Hour
	skipped := map[time.Time]bool{}
	var first, last time.Time
	for _, e := range events {
		if first.IsZero() || e.EventDate.Before(first) {
			first = e.EventDate
		}
		if e.EventDate.After(last) {
			last = e.EventDate
		}
		if !late[e.EventID] && !e.ReceivedAt.After(e.EventTime.Truncate(c.window).Add(c.window+lateness)) {
			continue
		}
		// The windows the event may count for: its own and, as a
		// follow-up, that of the searches it may follow.
		skipped[e.EventTime.Truncate(c.window)] = true
		skipped[e.EventTime.Add(-c.followUp).Truncate(c.window)] = true
	}
	res, err := w.RunFile(context.Background(), c.query, warehousesql.Params{"start_date": models.DateOf(first), "end_date": models.DateOf(last)})
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		i := slices.Index(res.Columns, name)
		if i < 0 {
			t.Fatalf("%s: no column %s in %v", c.query, name, res.Columns)
		}
		return i
	}
	want := map[string][]int64{}
	for _, r := range res.Rows {
		start := r[col("window_start")].(time.Time)
		var key []any
		for _, k := range c.keys {
			key = append(key, r[col(k)])
		}
		var counts []int64
		for _, n := range c.counts {
			counts = append(counts, r[col(n)].(int64))
		}
		want[rowID(start, key)] = counts
	}

	windows, compared := map[time.Time]bool{}, map[time.Time]bool{}
	var rows int
	var mismatches []string
	check := func(id string, start time.Time) {
		windows[start] = true
		if skipped[start] {
			return
		}
		compared[start] = true
		rows++
		got := live[id]
		if !slices.Equal(got.counts, want[id]) {
			mismatches = append(mismatches, fmt.Sprintf("%s: live %v (pane %d), view %v", id, got.counts, got.pane, want[id]))
		}
	}
	for id, row := range live {
		check(id, row.start)
	}
	for id := range want {
		if _, ok := live[id]; !ok {
			start, _ := time.Parse(time.RFC3339, strings.SplitN(id, "|", 2)[0])
			check(id, start)
		}
	}
	slices.Sort(mismatches)
	if len(mismatches) > 0 {
		t.Errorf("%s differs from %s in %d of the rows of %d on-time windows, e.g.\n%s", c.table, c.query,
			len(mismatches), len(compared), strings.Join(mismatches[:min(len(mismatches), 10)], "\n"))
	}
	if len(compared)*2 < len(windows) {
		t.Errorf("%s: only %d of %d windows were on time enough to compare", c.table, len(compared), len(windows))
	}
	t.Logf("%s: %d rows of %d on-time windows compared with %s (%d windows left out for late events)",
		c.table, rows, len(compared), c.query, len(windows)-len(compared))
}
