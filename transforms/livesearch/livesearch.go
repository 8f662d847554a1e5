package livesearch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/livewindow"
)

func init() {
	register.Function2x0(searchOf)
	register.Function2x0(visitOf)
	register.DoFn5x1[context.Context, state.Provider, string, visit, func(beam.EventTime, string, mark), error](&followFn{})
	register.DoFn6x0[context.Context, beam.PaneInfo, beam.Window, string, func(*mark) bool, func(schemas.LiveSearch)](&paneFn{})
	register.Emitter2[string, visit]()
	register.Emitter3[beam.EventTime, string, mark]()
	register.Iter1[mark]()
	register.Emitter1[schemas.LiveSearch]()
}

// Within is how long after a search a product view or purchase on the same
// device makes it followed.
const Within = 30 * time.Minute

// Normalize is a search query as live_search_1h groups it: lowercased, runs
// of spaces made one space, trimmed of spaces. Other whitespace (tabs,
// newlines) is kept, as sql/live/search_1h.sql does.
func Normalize(q string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return r == ' ' }), " ")
}

// Searches takes PCollection<schemas.Event> (accepted events: deduplicated,
// bots removed) and returns PCollection<schemas.LiveSearch>, one row per
// firing of a window and query, in the fixed windows (see the package
// documentation).
func Searches(s beam.Scope, events beam.PCollection, o livewindow.Options) beam.PCollection {
	s = s.Scope("livesearch.Searches")
	o = o.WithDefaults("livesearch", DefaultWindow)
	global := beam.WindowInto(s, window.NewGlobalWindows(), events)
	follow := &followFn{Horizon: (Within + o.AllowedLateness).Milliseconds(), Recent: state.MakeValueState[recent]("recent")}
	followed := beam.ParDo(s, follow, beam.ParDo(s, visitOf, global))
	windowed := livewindow.Into(s, beam.Flatten(s, beam.ParDo(s, searchOf, global), followed), o)
	return beam.ParDo(s, &paneFn{}, beam.GroupByKey(s, windowed))
}

// mark is a search (Followed false) or the mark that it was followed,
// identified by its device and event ids.
type mark struct {
	DeviceID, EventID string
	Followed          bool
	Reported, NoHits  bool
}

// searchOf keys a search event's mark by its normalized query, timestamped
// with its event time.
func searchOf(e schemas.Event, emit func(beam.EventTime, string, mark)) {
	q := Normalize(e.SearchQuery)
	if e.EventType != "search" || q == "" {
		return
	}
	m := mark{DeviceID: e.DeviceID, EventID: e.EventID, Reported: e.ResultsCount != nil}
	m.NoHits = m.Reported && *e.ResultsCount == 0
	emit(beam.EventTime(e.EventTime.UnixMilli()), q, m)
}

// visit is a device's search (Query set) or product view or purchase.
// At is its event time in Unix ms.
type visit struct {
	EventID  string
	Query    string
	At       int64
	Followed bool
}

// visitOf keys a device's searches, product views and purchases by device.
func visitOf(e schemas.Event, emit func(string, visit)) {
	v := visit{EventID: e.EventID, At: e.EventTime.UnixMilli()}
	switch e.EventType {
	case "search":
		if v.Query = Normalize(e.SearchQuery); v.Query == "" {
			return
		}
	case "product_view", "purchase":
	default:
		return
	}
	emit(e.DeviceID, v)
}

// recent is a device's state: its searches and other visits within the
// horizon of its newest event time.
type recent struct {
	Searches []visit
	Visits   []int64
	Newest   int64
}

// followFn emits a followed mark once per search that a visit follows.
type followFn struct {
	// Horizon is how long (ms) before the device's newest event a search
	// or visit is kept.
	Horizon int64
	Recent  state.Value[recent]

	followed beam.Counter
}

func (fn *followFn) Setup() { fn.followed = beam.NewCounter("livesearch", "followed") }

func (fn *followFn) ProcessElement(ctx context.Context, sp state.Provider, device string, v visit, emit func(beam.EventTime, string, mark)) error {
	r, _, err := fn.Recent.Read(sp)
	if err != nil {
		return fmt.Errorf("livesearch: read state: %w", err)
	}
	follow := func(search *visit) {
		search.Followed = true
		fn.followed.Inc(ctx, 1)
		emit(beam.EventTime(search.At), search.Query, mark{DeviceID: device, EventID: search.EventID, Followed: true})
	}
	if v.Query != "" {
		if slices.ContainsFunc(r.Searches, func(s visit) bool { return s.EventID == v.EventID }) {
			return nil
		}
		if slices.ContainsFunc(r.Visits, func(at int64) bool { return follows(at, v.At) }) {
			follow(&v)
		}
		r.Searches = append(r.Searches, v)
	} else {
		for i := range r.Searches {
			if !r.Searches[i].Followed && follows(v.At, r.Searches[i].At) {
				follow(&r.Searches[i])
			}
		}
		r.Visits = append(r.Visits, v.At)
	}
	r.Newest = max(r.Newest, v.At)
	oldest := r.Newest - fn.Horizon
	r.Searches = slices.DeleteFunc(r.Searches, func(s visit) bool { return s.At < oldest })
	r.Visits = slices.DeleteFunc(r.Visits, func(at int64) bool { return at < oldest })
	if err := fn.Recent.Write(sp, r); err != nil {
		return fmt.Errorf("livesearch: write state: %w", err)
	}
	return nil
}

// follows reports whether a visit at at follows a search at search: after
// it, by at most Within.
func follows(at, search int64) bool { return at > search && at-search <= Within.Milliseconds() }

// searchID identifies a search across copies of its event, as
// fact_events_current does.
type searchID struct{ device, event string }

// paneFn builds a firing's row from all the window's marks so far.
type paneFn struct {
	panes beam.Counter
}

func (fn *paneFn) Setup() { fn.panes = beam.NewCounter("livesearch", "panes") }

func (fn *paneFn) ProcessElement(ctx context.Context, pane beam.PaneInfo, w beam.Window, query string, marks func(*mark) bool, emit func(schemas.LiveSearch)) {
	searches, reported, noHits, followed := map[searchID]bool{}, map[searchID]bool{}, map[searchID]bool{}, map[searchID]bool{}
	var m mark
	for marks(&m) {
		id := searchID{m.DeviceID, m.EventID}
		if m.Followed {
			// Counted once its search's own mark is in the pane too.
			followed[id] = true
			continue
		}
		searches[id] = true
		reported[id] = reported[id] || m.Reported
		noHits[id] = noHits[id] || m.NoHits
	}
	date, start, end := livewindow.Bounds(w)
	r := schemas.LiveSearch{
		WindowDate: date, WindowStart: start, WindowEnd: end,
		Query:     query,
		PaneIndex: pane.Index, PaneTiming: schemas.PaneTimingOf(pane.Timing),
		Searches: int64(len(searches)), ReportedSearches: count(reported), ZeroResultSearches: count(noHits),
		FiredAt: time.Now().UTC(),
	}
	for id := range followed {
		if searches[id] {
			r.FollowedSearches++
		}
	}
	if r.ReportedSearches > 0 {
		share := float64(r.ZeroResultSearches) / float64(r.ReportedSearches)
		r.ZeroResultShare = &share
	}
	fn.panes.Inc(ctx, 1)
	emit(r)
}

// count is the number of true values in set.
func count(set map[searchID]bool) int64 {
	var n int64
	for _, in := range set {
		if in {
			n++
		}
	}
	return n
}
