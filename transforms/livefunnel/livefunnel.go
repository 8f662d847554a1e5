package livefunnel

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/livewindow"
)

func init() {
	register.Function2x0(markOf)
	register.DoFn6x0[context.Context, beam.PaneInfo, beam.Window, string, func(*mark) bool, func(schemas.LiveFunnel)](&paneFn{})
	register.Emitter3[beam.EventTime, string, mark]()
	register.Iter1[mark]()
	register.Emitter1[schemas.LiveFunnel]()
}

// The funnel's steps, in order, by event type.
var steps = map[string]int{"product_view": 0, "add_to_cart": 1, "checkout_start": 2, "purchase": 3}

// Funnel takes PCollection<schemas.Event> (accepted events: deduplicated,
// bots removed) and returns PCollection<schemas.LiveFunnel>, one row per
// firing of a window and group, in the fixed windows (see the package
// documentation). Events of other types than the four steps are ignored.
func Funnel(s beam.Scope, events beam.PCollection, o livewindow.Options) beam.PCollection {
	s = s.Scope("livefunnel.Funnel")
	o = o.WithDefaults("livefunnel", DefaultWindow)
	windowed := livewindow.Into(s, beam.ParDo(s, markOf, events), o)
	return beam.ParDo(s, &paneFn{}, beam.GroupByKey(s, windowed))
}

// mark is what the funnel needs of an event.
type mark struct {
	DeviceID string
	Step     int
	Revenue  float64
	Currency string
}

// markOf keys a funnel event by "<default_channel_group>\t<device_type>",
// timestamped with its event time.
func markOf(e schemas.Event, emit func(beam.EventTime, string, mark)) {
	step, ok := steps[e.EventType]
	if !ok {
		return
	}
	m := mark{DeviceID: e.DeviceID, Step: step}
	if step == steps["purchase"] && e.Revenue != nil {
		m.Revenue, m.Currency = *e.Revenue, e.Currency
		if m.Currency == "" {
			m.Currency = "unknown"
		}
	}
	emit(beam.EventTime(e.EventTime.UnixMilli()), e.DefaultChannelGroup+"\t"+e.DeviceType, m)
}

// paneFn builds a firing's row from all the window's marks so far.
type paneFn struct {
	panes beam.Counter
}

func (fn *paneFn) Setup() { fn.panes = beam.NewCounter("livefunnel", "panes") }

func (fn *paneFn) ProcessElement(ctx context.Context, pane beam.PaneInfo, w beam.Window, group string, marks func(*mark) bool, emit func(schemas.LiveFunnel)) {
	var devices [4]map[string]bool
	for i := range devices {
		devices[i] = map[string]bool{}
	}
	revenue := map[string]float64{}
	var m mark
	for marks(&m) {
		devices[m.Step][m.DeviceID] = true
		if m.Currency != "" {
			revenue[m.Currency] += m.Revenue
		}
	}
	date, start, end := livewindow.Bounds(w)
	class, deviceType, _ := strings.Cut(group, "\t")
	r := schemas.LiveFunnel{
		WindowDate: date, WindowStart: start, WindowEnd: end,
		DefaultChannelGroup: class, DeviceType: deviceType,
		PaneIndex: pane.Index, PaneTiming: schemas.PaneTimingOf(pane.Timing),
		ProductViewers: int64(len(devices[0])), CartAdders: int64(len(devices[1])),
		CheckoutStarters: int64(len(devices[2])), Purchasers: int64(len(devices[3])),
		FiredAt: time.Now().UTC(),
	}
	r.ViewToCartRate = rate(r.CartAdders, r.ProductViewers)
	r.CartToCheckoutRate = rate(r.CheckoutStarters, r.CartAdders)
	r.CheckoutToPurchaseRate = rate(r.Purchasers, r.CheckoutStarters)
	for _, c := range slices.Sorted(maps.Keys(revenue)) {
		r.Currencies, r.Revenues = append(r.Currencies, c), append(r.Revenues, revenue[c])
	}
	fn.panes.Inc(ctx, 1)
	emit(r)
}

// rate is n/of, nil when of is 0.
func rate(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	r := float64(n) / float64(of)
	return &r
}
