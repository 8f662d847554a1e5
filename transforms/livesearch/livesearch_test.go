package livesearch

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/eventstream"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/livewindow"
)

func init() {
	register.Function1x2(keyByQuery)
	register.Function3x0(panes)
	register.Iter1[schemas.LiveSearch]()
}

func TestMain(m *testing.M) { ptest.Main(m) }

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// ev is an event of device at t0+at.
func ev(device, typ string, at time.Duration) schemas.Event {
	return schemas.Event{EventID: fmt.Sprintf("%s-%s-%v", device, typ, at), EventType: typ, DeviceID: device, EventTime: t0.Add(at)}
}

// onDevice is e on device instead.
func onDevice(device string, e schemas.Event) schemas.Event {
	e.DeviceID = device
	return e
}

// search is a search of query by device at t0+at; results is left out when
// negative.
func search(device, query string, at time.Duration, results int64) schemas.Event {
	e := ev(device, "search", at)
	e.SearchQuery = query
	if results >= 0 {
		e.ResultsCount = &results
	}
	return e
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"  Red   SHOES ": "red shoes", "hats": "hats", "   ": "", "a\tb": "a\tb"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSearches runs Searches on Prism in streaming mode (teststream). The
// query "red shoes" (spelt three ways) has searches at 1m (device a, 3
// results), 2m (b, none; redelivered) and 50m (b, none); a views a product
// at 5m, following its search, and b purchases at 70m, after the window
// closed, following its 50m search but not its 2m one (68 min). "hats" (c,
// at 10m, no results_count) is followed by c's view at 45m, too late; d's
// search of "hats" carries the same event id as c's and counts apart.
// Expected: an early pane of the first two searches, the on-time pane with
// one followed search, and a late pane when b's purchase follows the 50m
// search; the redelivered search counts once.
func TestSearches(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	events := eventstream.Create(t, s,
		eventstream.Step{Add: []schemas.Event{search("a", "Red  Shoes ", time.Minute, 3), search("b", "red shoes", 2*time.Minute, 0)}},
		eventstream.Step{Watermark: t0.Add(3 * time.Minute)},
		eventstream.Step{Add: []schemas.Event{ev("a", "product_view", 5*time.Minute), search("c", "hats", 10*time.Minute, -1),
			ev("c", "product_view", 45*time.Minute), search("b", " RED shoes", 50*time.Minute, 0), search("b", "red shoes", 2*time.Minute, 0),
			onDevice("d", search("c", "hats", 10*time.Minute, -1))}},
		eventstream.Step{Watermark: t0.Add(time.Hour + 10*time.Minute)},
		eventstream.Step{Add: []schemas.Event{ev("b", "purchase", 70*time.Minute)}},
		eventstream.Step{Watermark: t0.Add(3 * time.Hour)})
	rows := Searches(s, events, livewindow.Options{EarlyAfter: 2, AllowedLateness: time.Hour})
	all := beam.WindowInto(s, window.NewGlobalWindows(), beam.ParDo(s, keyByQuery, rows))
	passert.Equals(s, beam.ParDo(s, panes, beam.GroupByKey(s, all)),
		"[0s,1h0m0s) 2026-03-02 red shoes first early: pane=0 searches=2 reported=2 zero=1 share=0.50 followed=0",
		"[0s,1h0m0s) 2026-03-02 red shoes first on_time: searches=3 reported=3 zero=2 share=0.67 followed=1",
		"[0s,1h0m0s) 2026-03-02 red shoes current: searches=3 reported=3 zero=2 share=0.67 followed=2 (updated late: true)",
		"[0s,1h0m0s) 2026-03-02 hats first early: pane=0 searches=2 reported=0 zero=0 share=- followed=0",
		"[0s,1h0m0s) 2026-03-02 hats first on_time: searches=2 reported=0 zero=0 share=- followed=0",
		"[0s,1h0m0s) 2026-03-02 hats current: searches=2 reported=0 zero=0 share=- followed=0 (updated late: false)",
	)
	ptest.RunAndValidate(t, p)
}

// keyByQuery keys a row by its window and query.
func keyByQuery(r schemas.LiveSearch) (string, schemas.LiveSearch) {
	return fmt.Sprintf("[%v,%v) %s %s", r.WindowStart.Sub(t0), r.WindowEnd.Sub(t0), r.WindowDate.Format(time.DateOnly), r.Query), r
}

// describe renders a row's counts.
func describe(r schemas.LiveSearch) string {
	share := "-"
	if r.ZeroResultShare != nil {
		share = fmt.Sprintf("%.2f", *r.ZeroResultShare)
	}
	return fmt.Sprintf("searches=%d reported=%d zero=%d share=%s followed=%d",
		r.Searches, r.ReportedSearches, r.ZeroResultSearches, share, r.FollowedSearches)
}

// panes describes the rows of one window and query: the first early row
// (with its pane index), the first on-time row, the current row (the
// highest pane index) and whether late data changed it after the on-time
// pane. Late firings are the runner's (Prism v2.77 labels some early or on
// time after the on-time pane, and repeats panes), so they are judged by
// their figures only.
func panes(key string, rows func(*schemas.LiveSearch) bool, emit func(string)) {
	var all []schemas.LiveSearch
	var r schemas.LiveSearch
	for rows(&r) {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b schemas.LiveSearch) int { return cmp.Compare(a.PaneIndex, b.PaneIndex) })
	if i := slices.IndexFunc(all, func(r schemas.LiveSearch) bool { return r.PaneTiming == schemas.PaneEarly }); i >= 0 {
		emit(fmt.Sprintf("%s first early: pane=%d %s", key, all[i].PaneIndex, describe(all[i])))
	}
	onTime := ""
	if i := slices.IndexFunc(all, func(r schemas.LiveSearch) bool { return r.PaneTiming == schemas.PaneOnTime }); i >= 0 {
		onTime = describe(all[i])
		emit(fmt.Sprintf("%s first on_time: %s", key, onTime))
	}
	current := describe(all[len(all)-1])
	emit(fmt.Sprintf("%s current: %s (updated late: %v)", key, current, current != onTime))
}
