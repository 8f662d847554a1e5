package liveproducts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
	register.Function1x2(keyByProduct)
	register.Function3x0(panes)
	register.Iter1[schemas.LiveProduct]()
}

func TestMain(m *testing.M) { ptest.Main(m) }

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// ev is an event of type typ on product (category cat) at t0+at.
func ev(typ, product, cat string, at time.Duration) schemas.Event {
	return schemas.Event{EventID: fmt.Sprintf("%s-%s-%v", typ, product, at), EventType: typ, DeviceID: "d",
		EventTime: t0.Add(at), ProductID: product, CategoryID: cat}
}

// onDevice is e on device instead.
func onDevice(device string, e schemas.Event) schemas.Event {
	e.DeviceID = device
	return e
}

// bought is a purchase in currency of items.
func bought(at time.Duration, currency string, items ...schemas.Item) schemas.Event {
	e := ev("purchase", "", "", at)
	e.Currency, e.Items = currency, items
	return e
}

// item is a line of product in cat; price and quantity are left out when
// negative.
func item(product, cat string, price float64, quantity int64) schemas.Item {
	it := schemas.Item{ItemID: product, ItemCategory: cat}
	if price >= 0 {
		it.Price = &price
	}
	if quantity >= 0 {
		it.Quantity = &quantity
	}
	return it
}

// describe renders a row's counts and revenue.
func describe(r schemas.LiveProduct) string {
	var revenue []string
	for i, c := range r.Currencies {
		revenue = append(revenue, fmt.Sprintf("%g %s", r.Revenues[i], c))
	}
	return fmt.Sprintf("views=%d carts=%d units=%d revenue=%s",
		r.ProductViews, r.AddToCarts, r.UnitsPurchased, strings.Join(revenue, ","))
}

// TestProducts runs Products on Prism in streaming mode (teststream): early
// panes of shoe and hat after 3 marks, the on-time panes, and a late pane for
// shoe within the allowed lateness, every pane recomputed from all the
// window's marks; a purchase item without a product is ignored, one
// without a price adds units but no revenue. Two devices' views with the
// same event id both count; late copies of hat's view and of the first
// purchase (as when they come past the dedup's horizon) change no figure.
// Events of the next hour go to their own window.
func TestProducts(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	events := eventstream.Create(t, s,
		eventstream.Step{Add: []schemas.Event{ev("product_view", "shoe", "feet", time.Minute), ev("product_view", "shoe", "feet", 2*time.Minute),
			ev("add_to_cart", "shoe", "feet", 3*time.Minute), ev("product_view", "hat", "", 4*time.Minute), ev("page_view", "shoe", "feet", 5*time.Minute),
			onDevice("e", ev("product_view", "hat", "", 4*time.Minute))}},
		eventstream.Step{Watermark: t0.Add(10 * time.Minute)},
		eventstream.Step{Add: []schemas.Event{bought(20*time.Minute, "EUR", item("shoe", "feet", 40, 2), item("hat", "", 10, -1), item("", "x", 5, 1)),
			bought(70*time.Minute, "", item("shoe", "feet", -1, 3))}},
		eventstream.Step{Watermark: t0.Add(time.Hour + 10*time.Minute)},
		eventstream.Step{Add: []schemas.Event{bought(30*time.Minute, "USD", item("shoe", "feet", 5, -1), schemas.Item{ItemID: "shoe", ItemCategory: "feet", Price: ptr(7.0), Currency: "GBP"}),
			ev("product_view", "hat", "", 4*time.Minute), bought(20*time.Minute, "EUR", item("shoe", "feet", 40, 2), item("hat", "", 10, -1), item("", "x", 5, 1))}},
		eventstream.Step{Watermark: t0.Add(3 * time.Hour)})
	rows := Products(s, events, livewindow.Options{EarlyAfter: 3, AllowedLateness: time.Hour})
	all := beam.WindowInto(s, window.NewGlobalWindows(), beam.ParDo(s, keyByProduct, rows))
	passert.Equals(s, beam.ParDo(s, panes, beam.GroupByKey(s, all)),
		"[0s,1h0m0s) 2026-03-02 shoe feet first early: pane=0 views=2 carts=1 units=0 revenue=",
		"[0s,1h0m0s) 2026-03-02 shoe feet first on_time: pane=1 views=2 carts=1 units=2 revenue=80 EUR",
		"[0s,1h0m0s) 2026-03-02 shoe feet current: views=2 carts=1 units=4 revenue=80 EUR,7 GBP,5 USD (updated late: true)",
		"[0s,1h0m0s) 2026-03-02 hat (none) first early: pane=0 views=2 carts=0 units=1 revenue=10 EUR",
		"[0s,1h0m0s) 2026-03-02 hat (none) first on_time: pane=1 views=2 carts=0 units=1 revenue=10 EUR",
		"[0s,1h0m0s) 2026-03-02 hat (none) current: views=2 carts=0 units=1 revenue=10 EUR (updated late: false)",
		"[1h0m0s,2h0m0s) 2026-03-02 shoe feet first on_time: pane=0 views=0 carts=0 units=3 revenue=",
		"[1h0m0s,2h0m0s) 2026-03-02 shoe feet current: views=0 carts=0 units=3 revenue= (updated late: false)",
	)
	ptest.RunAndValidate(t, p)
}

func ptr[T any](v T) *T { return &v }

// keyByProduct keys a row by its window, product and category.
func keyByProduct(r schemas.LiveProduct) (string, schemas.LiveProduct) {
	return fmt.Sprintf("[%v,%v) %s %s %s", r.WindowStart.Sub(t0), r.WindowEnd.Sub(t0), r.WindowDate.Format(time.DateOnly), r.ProductID, r.CategoryID), r
}

// panes describes the rows of one window and product: the first early
// and on-time rows, the current row (the highest pane index) and whether
// late data changed the figures after the on-time pane. Late firings are
// the runner's (Prism v2.77 labels some early or on time after the on-time
// pane, and repeats panes without late data), so they are judged by their
// figures only.
func panes(key string, rows func(*schemas.LiveProduct) bool, emit func(string)) {
	var all []schemas.LiveProduct
	var r schemas.LiveProduct
	for rows(&r) {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b schemas.LiveProduct) int { return cmp.Compare(a.PaneIndex, b.PaneIndex) })
	onTime := ""
	for _, timing := range []string{schemas.PaneEarly, schemas.PaneOnTime} {
		if i := slices.IndexFunc(all, func(r schemas.LiveProduct) bool { return r.PaneTiming == timing }); i >= 0 {
			emit(fmt.Sprintf("%s first %s: pane=%d %s", key, timing, all[i].PaneIndex, describe(all[i])))
			onTime = describe(all[i])
		}
	}
	current := describe(all[len(all)-1])
	emit(fmt.Sprintf("%s current: %s (updated late: %v)", key, current, current != onTime))
}
