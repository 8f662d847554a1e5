package generate

import (
	"fmt"
	"testing"
	"time"
)

// TestAbandonedCarts checks the cart truth's definition case by case (the
// same cases as transforms/abandonment's pipeline test, which the truth
// does not share code with).
func TestAbandonedCarts(t *testing.T) {
	minute := time.Minute.Milliseconds()
	at := func(typ evType, m int64) cartEvent { return cartEvent{t: m * minute, typ: typ, product: 1, qty: 1} }
	tests := []struct {
		name string
		evs  []cartEvent
		want string
	}{
		{"quiet after the last event", []cartEvent{at(evAddToCart, 0), at(evProductView, 10)}, "[0 last 10]"},
		{"active within the gap, then quiet", []cartEvent{at(evAddToCart, 0), at(evPageView, 14), at(evPageView, 28)}, "[0 last 28]"},
		{"bought within the gap", []cartEvent{at(evAddToCart, 0), at(evPurchase, 14)}, "[]"},
		{"checkout started", []cartEvent{at(evAddToCart, 0), at(evCheckoutStart, 3)}, "[]"},
		{"emptied", []cartEvent{at(evAddToCart, 0), at(evRemoveFromCart, 2)}, "[]"},
		{"came back and bought", []cartEvent{at(evAddToCart, 1), at(evPurchase, 50)}, "[1 last 1 recovered 50]"},
		{"exactly the gap", []cartEvent{at(evAddToCart, 0), at(evPageView, 15)}, "[0 last 0 recovered 15]"},
		{"one trigger per cart", []cartEvent{at(evAddToCart, 0), at(evPageView, 20), at(evPageView, 40)}, "[0 last 0 recovered 20]"},
		{"a new cart after a purchase", []cartEvent{at(evAddToCart, 0), at(evPurchase, 2), at(evAddToCart, 60)}, "[60 last 60]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range abandonedCarts("d", tt.evs, 15*minute) {
				s := fmt.Sprintf("%d last %d", minutesOf(t, c.CartStart), minutesOf(t, c.LastEventTime))
				if c.Recovered {
					s += fmt.Sprintf(" recovered %d", minutesOf(t, c.RecoveredAt))
				}
				got = append(got, s)
			}
			if s := fmt.Sprint(got); s != tt.want && !(len(got) == 0 && tt.want == "[]") {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

// minutesOf is a truth timestamp in minutes since the epoch.
func minutesOf(t *testing.T, ts string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixMilli() / time.Minute.Milliseconds()
}
