package sessionize

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
)

func TestMain(m *testing.M) {
	ptest.Main(m)
}

func init() {
	register.Function1x2(stamp)
	register.Function3x0(flattenRows)
	register.DoFn1x0[schemas.Session](&collectFn{})
	register.Emitter1[schemas.Session]()
}

// stamp gives an event its event time as element timestamp, as the
// pipeline's sources do.
func stamp(e schemas.Event) (beam.EventTime, schemas.Event) { return mtime.FromTime(e.EventTime), e }

func flattenRows(_ string, rows []schemas.Session, emit func(schemas.Session)) {
	for _, r := range rows {
		emit(r)
	}
}

// collected holds what collectFn instances saw, by name: Prism runs the
// pipeline in this process.
var collected = struct {
	sync.Mutex
	rows map[string][]schemas.Session
}{rows: map[string][]schemas.Session{}}

type collectFn struct{ Name string }

func (fn *collectFn) ProcessElement(r schemas.Session) {
	collected.Lock()
	defer collected.Unlock()
	collected.rows[fn.Name] = append(collected.rows[fn.Name], r)
}

// collect sends rows to collected under a name unique to the test.
func collect(t *testing.T, s beam.Scope, rows beam.PCollection) (get func() []schemas.Session) {
	name := t.Name()
	collected.Lock()
	delete(collected.rows, name)
	collected.Unlock()
	beam.ParDo0(s, &collectFn{Name: name}, rows)
	return func() []schemas.Session {
		collected.Lock()
		defer collected.Unlock()
		return slices.Clone(collected.rows[name])
	}
}

// normalized returns rows sorted, with times in UTC, empty sequences nil
// and Version 0, so that rows that went through a coder compare equal.
func normalized(rows []schemas.Session) []schemas.Session {
	out := slices.Clone(rows)
	for i := range out {
		r := &out[i]
		r.SessionDate, r.SessionStart, r.SessionEnd = r.SessionDate.UTC(), r.SessionStart.UTC(), r.SessionEnd.UTC()
		if len(r.PagePathSequence) == 0 {
			r.PagePathSequence = nil
		}
		r.Version = 0
	}
	slices.SortFunc(out, func(a, b schemas.Session) int {
		return cmp.Or(cmp.Compare(a.DeviceID, b.DeviceID), a.SessionStart.Compare(b.SessionStart),
			cmp.Compare(a.SessionID, b.SessionID), cmp.Compare(a.EventCount, b.EventCount))
	})
	return out
}

// diffRows reports the first rows that differ.
func diffRows(t *testing.T, got, want []schemas.Session) {
	t.Helper()
	got, want = normalized(got), normalized(want)
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Errorf("got %d rows, want %d", len(got), len(want))
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("missing row %+v", want[i])
		case i >= len(want):
			t.Errorf("extra row %+v", got[i])
		case !reflect.DeepEqual(got[i], want[i]):
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		default:
			continue
		}
		return
	}
}

// Gaps between a device's consecutive events, drawn around the session gap.
var gaps = []struct {
	weight int
	gap    func(r *rand.Rand) time.Duration
}{
	{10, func(*rand.Rand) time.Duration { return 0 }}, // equal timestamps
	{10, func(*rand.Rand) time.Duration { return 30 * time.Minute }},
	{10, func(*rand.Rand) time.Duration { return 30*time.Minute - time.Millisecond }},
	{5, func(*rand.Rand) time.Duration { return 30*time.Minute + time.Millisecond }},
	{10, func(r *rand.Rand) time.Duration {
		return 30*time.Minute + time.Duration(r.IntN(1999)-999)*time.Microsecond
	}},
	{40, func(r *rand.Rand) time.Duration {
		return time.Duration(r.Int64N(int64(10*time.Minute)))/time.Microsecond*time.Microsecond + time.Second
	}},
	{15, func(r *rand.Rand) time.Duration {
		return 31*time.Minute + time.Duration(r.Int64N(int64(5*time.Hour)))/time.Millisecond*time.Millisecond
	}},
}

var (
	eventTypes = []string{"page_view", "page_view", "page_view", "product_view", "product_view", "search",
		"add_to_cart", "remove_from_cart", "checkout_start", "purchase", "login", "logout"}
	pagePaths = []string{"/", "/c/shoes", "/p/1", "/p/2", "/search", "/cart", "/checkout", "/thanks", ""}
	// The last is the site's own page: a self-referral (see compareHits).
	referrers = []string{"", "https://www.google.com/", "https://news.example/a", "android-app://com.example", "https://shop.example/cart"}
)

// randomEvents returns the events of n devices named "<prefix>-<i>", with up
// to 40 events each starting between t0 and t0+20h (so some cross midnight),
// gaps drawn from gaps, and random types, pages, users and attribution.
func randomEvents(r *rand.Rand, prefix string, n int) []schemas.Event {
	total := 0
	for _, g := range gaps {
		total += g.weight
	}
	var events []schemas.Event
	for d := range n {
		dev := fmt.Sprintf("%s-%d", prefix, d)
		at := t0.Add(time.Duration(r.Int64N(int64(20*time.Hour))) / time.Microsecond * time.Microsecond)
		ref := referrers[r.IntN(len(referrers))]
		for i := range 1 + r.IntN(40) {
			if i > 0 {
				w := r.IntN(total)
				for _, g := range gaps {
					if w -= g.weight; w < 0 {
						at = at.Add(g.gap(r))
						break
					}
				}
			}
			if r.IntN(3) == 0 {
				ref = referrers[r.IntN(len(referrers))]
			}
			refHost, source := "", "(direct)"
			if u, err := url.Parse(ref); err == nil && u.Host != "" {
				refHost = u.Host
				if refHost != "shop.example" {
					source = refHost
				}
			}
			p := pagePaths[r.IntN(len(pagePaths))]
			e := schemas.Event{
				EventID: fmt.Sprintf("%08x", r.Uint32()), EventType: eventTypes[r.IntN(len(eventTypes))],
				EventTime: at, EventDate: schemas.DateOf(at), DeviceID: dev,
				UserKey:  []string{"", "", "", "u1", "u2"}[r.IntN(5)],
				PagePath: p, PageKey: "k" + p, Referrer: ref, ReferrerHost: refHost, TrafficSource: source,
				DefaultChannelGroup: "class" + ref,
				UTMSource:           []string{"", "google"}[r.IntN(2)], DeviceType: "mobile", Browser: "Safari",
				OS: "iOS", Platform: "web",
			}
			if e.EventType == "purchase" && r.IntN(5) > 0 {
				v := float64(r.IntN(100000)) / 100
				e.Revenue = &v
			}
			events = append(events, e)
		}
	}
	return events
}

// testEvents is randomEvents plus a runaway device.
func testEvents(seed uint64, devices int) []schemas.Event {
	events := randomEvents(rand.New(rand.NewPCG(seed, 42)), fmt.Sprintf("s%d", seed), devices)
	for _, e := range every(360, 5*time.Minute) {
		e.DeviceID = fmt.Sprintf("s%d-runaway", seed)
		events = append(events, e)
	}
	return events
}

// TestStreamingEquivalence runs the windowed execution on Prism in batch and
// Batch in plain Go on the same random events: the rows must be identical.
func TestStreamingEquivalence(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			events := testEvents(seed, 300)
			want := Batch(slices.Clone(events), Options{})
			runaway := 0
			for _, r := range want {
				if r.IsRunaway {
					runaway++
				}
			}
			if runaway < 2 || len(want) < 1000 {
				t.Fatalf("weak input: %d rows, %d runaway", len(want), runaway)
			}

			p, s := beam.NewPipelineWithRoot()
			rows := Streaming(s, beam.ParDo(s, stamp, beam.CreateList(s, events)), Options{})
			get := collect(t, s, rows)
			ptest.RunAndValidate(t, p)

			// How many panes fire per session is the runner's choice (Prism
			// repeats the on-time pane when the window expires; Dataflow
			// fires once). What Streaming guarantees: in batch every pane
			// holds whole sessions, so the distinct rows are Batch's rows,
			// and Latest keeps exactly those.
			distinct := slices.CompactFunc(normalized(get()), func(a, b schemas.Session) bool { return reflect.DeepEqual(a, b) })
			diffRows(t, distinct, want)
			diffRows(t, Latest(get()), want)
			t.Logf("%d events, %d rows (%d runaway)", len(events), len(want), runaway)
		})
	}
}

// TestCombineFn checks that CombineFn works as a Beam CombineFn: with the
// default trigger Prism lifts it, so accumulators are merged and cross the
// shuffle through their coder.
func TestCombineFn(t *testing.T) {
	events := testEvents(4, 100)
	want := Batch(slices.Clone(events), Options{})

	p, s := beam.NewPipelineWithRoot()
	keyed := beam.ParDo(s, keyByDevice, beam.ParDo(s, stamp, beam.CreateList(s, events)))
	windowed := beam.WindowInto(s, window.NewSessions(DefaultGap), keyed)
	rows := beam.ParDo(s, flattenRows, beam.CombinePerKey(s, &CombineFn{}, windowed))
	get := collect(t, s, rows)
	ptest.RunAndValidate(t, p)
	diffRows(t, get(), want)
}

func TestStreamingBadOptions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Streaming with a negative gap did not panic")
		}
	}()
	_, s := beam.NewPipelineWithRoot()
	Streaming(s, beam.Create(s, ev("a", 0)), Options{Gap: -time.Minute})
}
