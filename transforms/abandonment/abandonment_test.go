package abandonment

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/eventstream"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(describe)
}

func TestMain(m *testing.M) { ptest.Main(m) }

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// ev is an event of device at t0+at; a product event carries product p1
// at 10 EUR, quantity 2.
func ev(device, typ string, at time.Duration) schemas.Event {
	e := schemas.Event{EventID: fmt.Sprintf("%s-%s-%v", device, typ, at), EventType: typ, DeviceID: device, EventTime: t0.Add(at)}
	if typ == "add_to_cart" || typ == "remove_from_cart" {
		price, qty := 10.0, int64(2)
		e.ProductID, e.Price, e.Quantity, e.Currency = "p1", &price, &qty, "EUR"
	}
	return e
}

// withUser sets the event's user_key.
func withUser(e schemas.Event, key string) schemas.Event {
	e.UserKey = key
	return e
}

// idOf is the trigger_id the contract promises, computed here from its
// definition: sha256 of "<device>|<cart start in ms>", 32 hex digits.
func idOf(device string, start time.Duration) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d", device, t0.Add(start).UnixMilli()))
	return hex.EncodeToString(sum[:])[:32]
}

// describe renders a row for comparison, without DecidedAt (processing
// time). Times are offsets from t0.
func describe(r schemas.CartAbandonment) string {
	value := "-"
	if r.CartValue != nil {
		value = fmt.Sprintf("%g %s", *r.CartValue, r.Currency)
	}
	var lines []string
	for i, p := range r.ProductIDs {
		lines = append(lines, fmt.Sprintf("%sx%d", p, r.Quantities[i]))
	}
	s := fmt.Sprintf("%s %s %s user=%q start=%v last=%v date=%s items=%s value=%s", r.Status, r.TriggerID, r.DeviceID,
		r.ResolvedUserKey, r.CartStart.Sub(t0), r.LastEventTime.Sub(t0), r.TriggerDate.Format(time.DateOnly), strings.Join(lines, ","), value)
	if r.Status == schemas.CartRecovered {
		s += fmt.Sprintf(" by=%s@%v", r.RecoveredBy, r.RecoveredAt.Sub(t0))
	}
	return s
}

// row is the description of a row of device's cart started at start with
// one line p1x<qty>, whose last event before the trigger was at last.
func row(status, device, user string, start, last time.Duration, qty int64) string {
	return fmt.Sprintf("%s %s %s user=%q start=%v last=%v date=2026-03-02 items=p1x%d value=%g EUR",
		status, idOf(device, start), device, user, start, last, qty, 10*float64(qty))
}

// recovered is row's recovered follow-up, by an event of type typ at at.
func recovered(device, user string, start, last time.Duration, qty int64, typ string, at time.Duration) string {
	return row(schemas.CartRecovered, device, user, start, last, qty) + fmt.Sprintf(" by=%s@%v", typ, at)
}

// TestDetect runs Detect on Prism in streaming mode (teststream) with
// After = 15 min. The fragment cases are the event patterns for which
// Prism emits a 15-min session window in fragments (the watermark passes an
// early event's ts+gap while a later event of the same session is already
// in: see transforms/sessionize/windowed_stream_test.go); a fragment would
// look like a cart gone quiet.
func TestDetect(t *testing.T) {
	abandoned := schemas.CartAbandoned
	tests := []struct {
		name  string
		steps []eventstream.Step
		want  []string
	}{
		{
			name: "a cart that goes quiet triggers once",
			steps: []eventstream.Step{
				{Add: []schemas.Event{ev("a", "add_to_cart", 0), ev("a", "product_view", 10*time.Minute)}},
				{Watermark: t0.Add(40 * time.Minute)},
			},
			want: []string{row(abandoned, "a", "", 0, 10*time.Minute, 2)},
		},
		{
			name: "fragment: the watermark passes the cart event's gap while the device is still active",
			steps: []eventstream.Step{
				{Add: []schemas.Event{ev("a", "add_to_cart", 0), ev("a", "product_view", 10*time.Minute)}},
				{Watermark: t0.Add(17 * time.Minute)},
				{Add: []schemas.Event{ev("a", "page_view", 22*time.Minute)}},
				{Watermark: t0.Add(30 * time.Minute)},
				{Add: []schemas.Event{ev("a", "page_view", 36*time.Minute)}},
				{Watermark: t0.Add(2 * time.Hour)},
			},
			want: []string{row(abandoned, "a", "", 0, 36*time.Minute, 2)},
		},
		{
			name: "fragment with a second add to cart: one cart, one trigger",
			steps: []eventstream.Step{
				{Add: []schemas.Event{ev("a", "add_to_cart", 0), ev("a", "add_to_cart", 14*time.Minute)}},
				{Watermark: t0.Add(16 * time.Minute)},
				{Add: []schemas.Event{ev("a", "product_view", 28*time.Minute)}},
			},
			want: []string{row(abandoned, "a", "", 0, 28*time.Minute, 4)},
		},
		{
			name:  "a cart bought within the gap gives nothing",
			steps: []eventstream.Step{{Add: []schemas.Event{ev("a", "add_to_cart", 0), ev("a", "purchase", 14*time.Minute)}}},
		},
		{
			name:  "a started checkout is not a cart trigger",
			steps: []eventstream.Step{{Add: []schemas.Event{ev("a", "add_to_cart", 0), ev("a", "checkout_start", 3*time.Minute)}}},
		},
		{
			name: "a cart emptied by remove_from_cart gives nothing",
			steps: []eventstream.Step{
				{Add: []schemas.Event{ev("a", "add_to_cart", 0), ev("a", "remove_from_cart", 2*time.Minute)}},
			},
		},
		{
			name: "the device comes back and buys: recovered with the same id",
			steps: []eventstream.Step{
				{Add: []schemas.Event{withUser(ev("a", "login", 0), "u1"), ev("a", "add_to_cart", time.Minute)}},
				{Watermark: t0.Add(40 * time.Minute)},
				{Add: []schemas.Event{ev("a", "purchase", 50*time.Minute)}},
			},
			want: []string{
				row(abandoned, "a", "u1", time.Minute, time.Minute, 2),
				recovered("a", "u1", time.Minute, time.Minute, 2, "purchase", 50*time.Minute),
			},
		},
		{
			name: "a late event of the quiet period recovers (cancels) the trigger",
			steps: []eventstream.Step{
				{Add: []schemas.Event{ev("a", "add_to_cart", 0)}},
				{Watermark: t0.Add(40 * time.Minute)},
				{Add: []schemas.Event{ev("a", "product_view", 10*time.Minute)}},
				{Watermark: t0.Add(time.Hour)},
			},
			want: []string{
				row(abandoned, "a", "", 0, 0, 2),
				recovered("a", "", 0, 0, 2, "product_view", 10*time.Minute),
			},
		},
		{
			name: "a gap already passed when the events arrive together: trigger and recovery",
			steps: []eventstream.Step{
				{Add: []schemas.Event{ev("a", "add_to_cart", 0), ev("a", "page_view", 20*time.Minute), ev("a", "page_view", 21*time.Minute)}},
			},
			want: []string{
				row(abandoned, "a", "", 0, 0, 2),
				recovered("a", "", 0, 0, 2, "page_view", 20*time.Minute),
			},
		},
		{
			name: "a late add to cart within the allowed lateness triggers on its late pane",
			steps: []eventstream.Step{
				{Add: []schemas.Event{ev("a", "page_view", 0)}},
				{Watermark: t0.Add(2 * time.Hour)},
				{Add: []schemas.Event{ev("a", "add_to_cart", 30*time.Minute)}},
				{Watermark: t0.Add(3 * time.Hour)},
			},
			want: []string{row(abandoned, "a", "", 30*time.Minute, 30*time.Minute, 2)},
		},
		{
			name: "a new cart after a purchase has its own id; devices are apart",
			steps: []eventstream.Step{
				{Add: []schemas.Event{
					ev("b", "add_to_cart", 0), withUser(ev("b", "login", time.Minute), "u2"), ev("b", "purchase", 2*time.Minute),
					ev("b", "add_to_cart", time.Hour), ev("c", "add_to_cart", time.Hour),
				}},
				{Watermark: t0.Add(90 * time.Minute)},
			},
			want: []string{
				row(abandoned, "b", "u2", time.Hour, time.Hour, 2),
				row(abandoned, "c", "", time.Hour, time.Hour, 2),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := beam.NewPipelineWithRoot()
			rows := Detect(s, eventstream.Create(t, s, tt.steps...), Options{})
			passert.Equals(s, beam.ParDo(s, describe, rows), toAny(tt.want)...)
			ptest.RunAndValidate(t, p)
		})
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
