package generate

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// abandonAfter is the quiet time after which an open cart is abandoned: the
// streaming pipeline's default --abandon_after.
const abandonAfter = 15 * time.Minute

// cartEvent is what the cart truth needs of an accepted event.
type cartEvent struct {
	t       int64 // ms since the epoch
	typ     evType
	product int32
	qty     int64
}

// abandonedCart is a line of truth_carts.jsonl.
type abandonedCart struct {
	DeviceID      string `json:"device_id"`
	CartStart     string `json:"cart_start"`
	LastEventTime string `json:"last_event_time"`
	// Recovered is set when the device had an event after the quiet period,
	// RecoveredAt its time.
	Recovered   bool   `json:"recovered"`
	RecoveredAt string `json:"recovered_at,omitempty"`
}

// abandonedCarts applies the live definition of cart abandonment
// (transforms/abandonment) to one device's accepted events, in time order:
// a cart opens at the first add_to_cart since the last purchase and closes
// with a purchase or when its last line is removed; it is abandoned when the
// device is quiet for after while it is open and not in checkout (no
// checkout_start since its latest add_to_cart), at most once per cart; the
// device's next event recovers it. The end of the events counts as quiet.
func abandonedCarts(device string, evs []cartEvent, after int64) []abandonedCart {
	var (
		out            []abandonedCart
		open, checkout bool
		start, last    int64
		trigger        = -1 // the open cart's row in out, once abandoned
		lines          map[int32]int64
	)
	utc := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }
	quiet := func() bool { return open && !checkout && trigger < 0 }
	abandon := func() {
		trigger = len(out)
		out = append(out, abandonedCart{DeviceID: device, CartStart: utc(start), LastEventTime: utc(last)})
	}
	for i, e := range evs {
		if i > 0 && quiet() && e.t-last >= after {
			abandon()
		}
		if trigger >= 0 && !out[trigger].Recovered {
			out[trigger].Recovered, out[trigger].RecoveredAt = true, utc(e.t)
		}
		last = e.t
		switch e.typ {
		case evAddToCart:
			if !open {
				open, start, trigger, lines = true, e.t, -1, map[int32]int64{}
			}
			checkout = false
			lines[e.product] += e.qty
		case evRemoveFromCart:
			if _, ok := lines[e.product]; !ok {
				break
			}
			if lines[e.product] -= e.qty; lines[e.product] <= 0 {
				delete(lines, e.product)
			}
			if len(lines) == 0 {
				open, checkout, trigger = false, false, -1
			}
		case evCheckoutStart:
			checkout = open
		case evPurchase:
			open, checkout, trigger = false, false, -1
		}
	}
	if quiet() {
		abandon()
	}
	return out
}

// writeCartTruth writes truth_carts.jsonl: every cart abandoned among the
// accepted events (records judged outEvent), by device and cart start.
func (g *gen) writeCartTruth(recs []record) error {
	byDevice := map[int32][]cartEvent{}
	for _, r := range recs {
		if r.outcome != outEvent {
			continue
		}
		e := &g.events[r.ev]
		byDevice[e.dev] = append(byDevice[e.dev], cartEvent{t: e.t, typ: e.typ, product: e.product, qty: int64(max(e.qty, 1))})
	}
	devices := slices.Sorted(func(yield func(int32) bool) {
		for d := range byDevice {
			if !yield(d) {
				return
			}
		}
	})
	fh, err := g.create("truth_carts.jsonl")
	if err != nil {
		return err
	}
	defer fh.Close()
	bw := bufio.NewWriter(fh)
	enc := json.NewEncoder(bw)
	for _, d := range devices {
		evs := byDevice[d]
		slices.SortStableFunc(evs, func(a, b cartEvent) int { return cmp.Compare(a.t, b.t) })
		for _, c := range abandonedCarts(g.devices[d].id, evs, abandonAfter.Milliseconds()) {
			if err := enc.Encode(c); err != nil {
				return fmt.Errorf("write cart truth: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write cart truth: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write cart truth: %w", err)
	}
	return nil
}
