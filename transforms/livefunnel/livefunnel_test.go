package livefunnel

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
	register.Function1x1(describe)
	register.Function1x2(keyAll)
	register.Function3x0(panes)
	register.Iter1[schemas.LiveFunnel]()
}

func TestMain(m *testing.M) { ptest.Main(m) }

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// ev is an event of device at t0+at from search traffic on a mobile.
func ev(device, typ string, at time.Duration) schemas.Event {
	return schemas.Event{EventID: fmt.Sprintf("%s-%s-%v", device, typ, at), EventType: typ, DeviceID: device,
		EventTime: t0.Add(at), DefaultChannelGroup: "search", DeviceType: "mobile"}
}

// bought is a purchase of revenue in currency.
func bought(device string, at time.Duration, revenue float64, currency string) schemas.Event {
	e := ev(device, "purchase", at)
	e.Revenue, e.Currency = &revenue, currency
	return e
}

// describe renders a row without FiredAt (processing time); times are
// offsets from t0.
func describe(r schemas.LiveFunnel) string {
	rates := make([]string, 0, 3)
	for _, p := range []*float64{r.ViewToCartRate, r.CartToCheckoutRate, r.CheckoutToPurchaseRate} {
		if p == nil {
			rates = append(rates, "-")
		} else {
			rates = append(rates, fmt.Sprintf("%.2f", *p))
		}
	}
	var revenue []string
	for i, c := range r.Currencies {
		revenue = append(revenue, fmt.Sprintf("%g %s", r.Revenues[i], c))
	}
	return fmt.Sprintf("[%v,%v) %s %s %s pane=%d %s funnel=%d/%d/%d/%d rates=%s revenue=%s",
		r.WindowStart.Sub(t0), r.WindowEnd.Sub(t0), r.WindowDate.Format(time.DateOnly), r.DefaultChannelGroup, r.DeviceType,
		r.PaneIndex, r.PaneTiming, r.ProductViewers, r.CartAdders, r.CheckoutStarters, r.Purchasers,
		strings.Join(rates, ","), strings.Join(revenue, ","))
}

// TestFunnel runs Funnel on Prism in streaming mode (teststream): an early
// pane after 4 funnel events, the on-time pane, and late panes within the
// allowed lateness, each accumulating with exact distinct devices (a
// device's repeated events count once, across panes too).
//
// Which panes fire for late data is the runner's: the model fires one late
// pane for the two late events, Prism (v2.77) fires three, labelled early,
// on time and late, all after the on-time pane. So the test checks what
// holds on both: the first pane of each timing, consecutive pane indexes,
// and the current row (the highest pane index) exact over every admitted
// event.
func TestFunnel(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	events := eventstream.Create(t, s,
		eventstream.Step{Add: []schemas.Event{ev("a", "product_view", time.Minute), ev("a", "product_view", 2*time.Minute),
			ev("a", "add_to_cart", 3*time.Minute), ev("b", "product_view", 4*time.Minute), ev("b", "page_view", 4*time.Minute)}},
		eventstream.Step{Watermark: t0.Add(5 * time.Minute)},
		eventstream.Step{Add: []schemas.Event{ev("a", "checkout_start", 7*time.Minute), bought("a", 8*time.Minute, 30, "EUR"),
			ev("c", "product_view", 9*time.Minute)}},
		eventstream.Step{Watermark: t0.Add(10 * time.Minute)},
		eventstream.Step{Add: []schemas.Event{bought("b", 5*time.Minute, 12.5, "USD"), bought("a", 9*time.Minute, 10, "EUR")}},
		eventstream.Step{Watermark: t0.Add(20 * time.Minute)})
	rows := Funnel(s, events, livewindow.Options{EarlyAfter: 4, AllowedLateness: time.Hour})
	all := beam.WindowInto(s, window.NewGlobalWindows(), beam.ParDo(s, keyAll, rows))
	passert.Equals(s, beam.ParDo(s, panes, beam.GroupByKey(s, all)),
		"first early: [0s,10m0s) 2026-03-02 search mobile pane=0 early funnel=2/1/0/0 rates=0.50,0.00,- revenue=",
		"first on_time: [0s,10m0s) 2026-03-02 search mobile pane=1 on_time funnel=3/1/1/1 rates=0.33,1.00,1.00 revenue=30 EUR",
		"first late: funnel=3/1/1/2 rates=0.33,1.00,2.00 revenue=40 EUR,12.5 USD",
		"current: funnel=3/1/1/2 rates=0.33,1.00,2.00 revenue=40 EUR,12.5 USD",
		"pane indexes consecutive: true",
	)
	ptest.RunAndValidate(t, p)
}

func keyAll(r schemas.LiveFunnel) (string, schemas.LiveFunnel) { return "", r }

// panes describes the rows of one window and group (see TestFunnel): the
// first row of each timing, the current row, and whether pane indexes are
// 0..n-1. Late and current rows are described without their pane index,
// which depends on the runner.
func panes(_ string, rows func(*schemas.LiveFunnel) bool, emit func(string)) {
	var all []schemas.LiveFunnel
	var r schemas.LiveFunnel
	for rows(&r) {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b schemas.LiveFunnel) int { return cmp.Compare(a.PaneIndex, b.PaneIndex) })
	seen := map[string]bool{}
	consecutive := true
	for i, r := range all {
		consecutive = consecutive && r.PaneIndex == int64(i)
		if seen[r.PaneTiming] {
			continue
		}
		seen[r.PaneTiming] = true
		d := describe(r)
		if r.PaneTiming == schemas.PaneLate {
			d = countsOf(d)
		}
		emit("first " + r.PaneTiming + ": " + d)
	}
	emit("current: " + countsOf(describe(all[len(all)-1])))
	emit(fmt.Sprintf("pane indexes consecutive: %v", consecutive))
}

// countsOf is a row's description from its counts on (without window and
// pane).
func countsOf(description string) string {
	_, counts, _ := strings.Cut(description, " funnel=")
	return "funnel=" + counts
}
