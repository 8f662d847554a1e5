package liveproducts

import (
	"cmp"
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
	register.Function2x0(marksOf)
	register.DoFn6x0[context.Context, beam.PaneInfo, beam.Window, string, func(*mark) bool, func(schemas.LiveProduct)](&paneFn{})
	register.Emitter3[beam.EventTime, string, mark]()
	register.Iter1[mark]()
	register.Emitter1[schemas.LiveProduct]()
}

// Products takes PCollection<schemas.Event> (accepted events: deduplicated,
// bots removed) and returns PCollection<schemas.LiveProduct>, one row per
// firing of a window, product and category, in the fixed windows (see the
// package documentation). Events other than product_view, add_to_cart and
// purchase are ignored.
func Products(s beam.Scope, events beam.PCollection, o livewindow.Options) beam.PCollection {
	s = s.Scope("liveproducts.Products")
	o = o.WithDefaults("liveproducts", DefaultWindow)
	windowed := livewindow.Into(s, beam.ParDo(s, marksOf, events), o)
	return beam.ParDo(s, &paneFn{}, beam.GroupByKey(s, windowed))
}

// mark is one product event or purchased item.
type mark struct {
	// DeviceID, EventID and Item (the item's index in a purchase, 0 for a
	// view or cart) identify the mark across copies of its event.
	DeviceID, EventID string
	Item              int
	View, Cart        bool
	// Units and, when priced, Revenue in Currency of a purchased item.
	Units    int64
	Priced   bool
	Revenue  float64
	Currency string
}

// none is the category of a product without one.
const none = "(none)"

// marksOf keys an event's marks by "<product_id>\t<category_id>",
// timestamped with its event time: one for a product_view or add_to_cart,
// one per item with an item_id for a purchase.
func marksOf(e schemas.Event, emit func(beam.EventTime, string, mark)) {
	at := beam.EventTime(e.EventTime.UnixMilli())
	switch e.EventType {
	case "product_view", "add_to_cart":
		if e.ProductID != "" {
			emit(at, key(e.ProductID, e.CategoryID), mark{DeviceID: e.DeviceID, EventID: e.EventID,
				View: e.EventType == "product_view", Cart: e.EventType == "add_to_cart"})
		}
	case "purchase":
		for i, it := range e.Items {
			if it.ItemID == "" {
				continue
			}
			m := mark{DeviceID: e.DeviceID, EventID: e.EventID, Item: i, Units: 1, Currency: cmp.Or(it.Currency, e.Currency, "unknown")}
			if it.Quantity != nil {
				m.Units = *it.Quantity
			}
			if it.Price != nil {
				m.Priced, m.Revenue = true, *it.Price*float64(m.Units)
			}
			emit(at, key(it.ItemID, it.ItemCategory), m)
		}
	}
}

// key is "<product>\t<category>", the category "(none)" when empty.
func key(product, category string) string { return product + "\t" + cmp.Or(category, none) }

// copyOf identifies a mark: the same in every copy of its event.
type copyOf struct {
	device, event string
	item          int
}

// paneFn builds a firing's row from all the window's marks so far, each
// counted once however many copies of its event came.
type paneFn struct {
	panes beam.Counter
}

func (fn *paneFn) Setup() { fn.panes = beam.NewCounter("liveproducts", "panes") }

func (fn *paneFn) ProcessElement(ctx context.Context, pane beam.PaneInfo, w beam.Window, product string, marks func(*mark) bool, emit func(schemas.LiveProduct)) {
	date, start, end := livewindow.Bounds(w)
	id, category, _ := strings.Cut(product, "\t")
	r := schemas.LiveProduct{
		WindowDate: date, WindowStart: start, WindowEnd: end,
		ProductID: id, CategoryID: category,
		PaneIndex: pane.Index, PaneTiming: schemas.PaneTimingOf(pane.Timing),
		FiredAt: time.Now().UTC(),
	}
	revenue, counted := map[string]float64{}, map[copyOf]bool{}
	var m mark
	for marks(&m) {
		id := copyOf{m.DeviceID, m.EventID, m.Item}
		if counted[id] {
			continue
		}
		counted[id] = true
		switch {
		case m.View:
			r.ProductViews++
		case m.Cart:
			r.AddToCarts++
		default:
			r.UnitsPurchased += m.Units
			if m.Priced {
				revenue[m.Currency] += m.Revenue
			}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(revenue)) {
		r.Currencies, r.Revenues = append(r.Currencies, c), append(r.Revenues, revenue[c])
	}
	fn.panes.Inc(ctx, 1)
	emit(r)
}
