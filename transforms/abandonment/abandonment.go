package abandonment

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window/trigger"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x3(markOf)
	register.DoFn3x3[beam.EventTime, string, mark, beam.EventTime, string, int64](&requestFn{})
	register.Function3x2(wakeUp)
	register.DoFn5x1[context.Context, state.Provider, string, mark, func(schemas.CartAbandonment), error](&cartFn{})
	register.Iter1[int64]()
	register.Emitter1[schemas.CartAbandonment]()
}

// Detect takes PCollection<schemas.Event> (accepted events: deduplicated,
// bots removed; any windowing) and returns
// PCollection<schemas.CartAbandonment> in the global window: one
// CartAbandoned row per abandoned cart, and one CartRecovered row with the
// same TriggerID when the device is active after the trigger (see the
// package documentation for the definition and the mechanism).
func Detect(s beam.Scope, events beam.PCollection, o Options) beam.PCollection {
	s = s.Scope("abandonment.Detect")
	o = mustOptions(o)
	marks := beam.WindowInto(s, window.NewGlobalWindows(), beam.ParDo(s, markOf, events))

	requests := beam.ParDo(s, &requestFn{After: o.After}, marks)
	clock := beam.WindowInto(s, window.NewFixedWindows(o.Resolution), requests,
		beam.Trigger(trigger.AfterEndOfWindow().LateFiring(trigger.Always())),
		beam.AllowedLateness(o.AllowedLateness),
		beam.PanesDiscard(),
	)
	wakeUps := beam.WindowInto(s, window.NewGlobalWindows(), beam.ParDo(s, wakeUp, beam.GroupByKey(s, clock)))

	return beam.ParDo(s, &cartFn{After: o.After, Cart: state.MakeValueState[cart]("cart")}, beam.Flatten(s, marks, wakeUps))
}

// TriggerID is a cart's trigger_id: the first 32 hex digits of
// sha256("<device_id>|<cart_start in ms since epoch>"), the same on every
// runner, retry and replay.
func TriggerID(deviceID string, cartStart time.Time) string {
	sum := sha256.Sum256([]byte(deviceID + "|" + strconv.FormatInt(cartStart.UnixMilli(), 10)))
	return hex.EncodeToString(sum[:16])
}

// mark is what the cart step needs of an event, or a wake-up.
type mark struct {
	// At is the event time (Unix ms); for a wake-up, the time up to which
	// every on-time event of the device has been delivered.
	At        int64
	WakeUp    bool
	Type      string
	UserKey   string
	ProductID string
	Quantity  int64
	Price     float64
	Priced    bool
	Currency  string
}

// markOf keys an event's mark by its device, timestamped with its event time.
func markOf(e schemas.Event) (beam.EventTime, string, mark) {
	m := mark{At: e.EventTime.UnixMilli(), Type: e.EventType, UserKey: e.UserKey, ProductID: e.ProductID, Quantity: 1, Currency: e.Currency}
	if e.Quantity != nil {
		m.Quantity = *e.Quantity
	}
	if e.Price != nil {
		m.Price, m.Priced = *e.Price, true
	}
	return beam.EventTime(m.At), e.DeviceID, m
}

// requestFn asks for a wake-up of the device After past each of its events.
type requestFn struct {
	After time.Duration
}

func (fn *requestFn) ProcessElement(ts beam.EventTime, device string, _ mark) (beam.EventTime, string, int64) {
	at := ts.ToTime().Add(fn.After).UnixMilli()
	return beam.EventTime(at), device, at
}

// wakeUp turns a fired clock window of a device into a wake-up at the
// window's last millisecond: the watermark has passed it.
func wakeUp(w beam.Window, device string, _ func(*int64) bool) (string, mark) {
	return device, mark{At: int64(w.MaxTimestamp()), WakeUp: true}
}

// line is one product in a cart.
type line struct {
	ProductID string
	Quantity  int64
	Price     float64
	Priced    bool
	Currency  string
}

// cart is a device's state. Times are Unix ms.
type cart struct {
	// Open is set from the cart's first add_to_cart to its purchase.
	Open       bool
	Start      int64
	Lines      []line
	CheckedOut bool
	// Last is the device's newest event time, UserKey its newest user_key.
	Last    int64
	UserKey string
	// TriggerID is set once the cart is triggered, with the last event
	// time it was triggered on; Recovered once it is recovered.
	TriggerID   string
	TriggerLast int64
	Recovered   bool
	// Pending are the events not yet applied, in event-time order: a
	// wake-up applies those up to its time.
	Pending []mark
}

// cartFn applies a device's events to its cart and judges it on wake-ups.
type cartFn struct {
	After time.Duration
	Cart  state.Value[cart]

	triggers   beam.Counter
	recoveries beam.Counter
}

func (fn *cartFn) Setup() {
	fn.triggers = beam.NewCounter("abandonment", "triggers")
	fn.recoveries = beam.NewCounter("abandonment", "recoveries")
}

func (fn *cartFn) ProcessElement(ctx context.Context, sp state.Provider, device string, m mark, emit func(schemas.CartAbandonment)) error {
	c, _, err := fn.Cart.Read(sp)
	if err != nil {
		return fmt.Errorf("abandonment: read cart: %w", err)
	}
	recoverBy := func(by mark) {
		c.Recovered = true
		r := c.row(device, schemas.CartRecovered)
		r.RecoveredAt, r.RecoveredBy = time.UnixMilli(by.At).UTC(), by.Type
		fn.recoveries.Inc(ctx, 1)
		emit(r)
	}
	triggerCart := func() {
		c.TriggerID, c.TriggerLast = TriggerID(device, time.UnixMilli(c.Start)), c.Last
		fn.triggers.Inc(ctx, 1)
		emit(c.row(device, schemas.CartAbandoned))
	}
	after := fn.After.Milliseconds()
	if !m.WakeUp {
		if c.TriggerID != "" && !c.Recovered {
			recoverBy(m)
		}
		i, _ := slices.BinarySearchFunc(c.Pending, m.At, func(p mark, at int64) int { return cmp.Compare(p.At, at) })
		c.Pending = slices.Insert(c.Pending, i, m)
	} else {
		// Apply the events the wake-up covers in event-time order, judging
		// the gap before each; then the gap up to the wake-up.
		n := 0
		for ; n < len(c.Pending) && c.Pending[n].At <= m.At; n++ {
			p := c.Pending[n]
			if c.quiet(p.At, after) {
				triggerCart()
				recoverBy(p)
			}
			c.apply(p)
		}
		c.Pending = slices.Delete(c.Pending, 0, n)
		if c.quiet(m.At, after) {
			triggerCart()
			if len(c.Pending) > 0 {
				recoverBy(c.Pending[0]) // the device is already back
			}
		}
	}
	if err := fn.Cart.Write(sp, c); err != nil {
		return fmt.Errorf("abandonment: write cart: %w", err)
	}
	return nil
}

// quiet reports whether the cart is abandoned when the device's next event
// is at next (or every event up to next is known and none came): it is open, not in
// checkout, not triggered yet, and the device sent nothing for after.
func (c *cart) quiet(next, after int64) bool {
	return c.Open && !c.CheckedOut && c.TriggerID == "" && next-c.Last >= after
}

// apply updates the cart with an event.
func (c *cart) apply(m mark) {
	c.Last = max(c.Last, m.At)
	if m.UserKey != "" {
		c.UserKey = m.UserKey
	}
	switch m.Type {
	case "add_to_cart":
		if !c.Open {
			c.close()
			c.Open, c.Start = true, m.At
		}
		c.CheckedOut = false
		i := slices.IndexFunc(c.Lines, func(l line) bool { return l.ProductID == m.ProductID })
		if i < 0 {
			c.Lines = append(c.Lines, line{ProductID: m.ProductID, Price: m.Price, Priced: m.Priced, Currency: m.Currency})
			i = len(c.Lines) - 1
		}
		c.Lines[i].Quantity += m.Quantity
	case "remove_from_cart":
		i := slices.IndexFunc(c.Lines, func(l line) bool { return l.ProductID == m.ProductID })
		if i < 0 {
			return
		}
		if c.Lines[i].Quantity -= m.Quantity; c.Lines[i].Quantity <= 0 {
			c.Lines = slices.Delete(c.Lines, i, i+1)
		}
		if len(c.Lines) == 0 {
			c.close()
		}
	case "checkout_start":
		c.CheckedOut = c.Open
	case "purchase":
		c.close()
	}
}

// close empties the cart and forgets its trigger; the device's last event
// and user key stay.
func (c *cart) close() {
	c.Open, c.Start, c.Lines, c.CheckedOut = false, 0, nil, false
	c.TriggerID, c.TriggerLast, c.Recovered = "", 0, false
}

// row is the cart's row with the given status, as triggered.
func (c *cart) row(device, status string) schemas.CartAbandonment {
	last := time.UnixMilli(c.TriggerLast).UTC()
	r := schemas.CartAbandonment{
		TriggerDate: time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC),
		TriggerID:   c.TriggerID, Status: status, DeviceID: device, ResolvedUserKey: c.UserKey,
		CartStart: time.UnixMilli(c.Start).UTC(), LastEventTime: last, DecidedAt: time.Now().UTC(),
	}
	value, priced := 0.0, true
	for i, l := range c.Lines {
		r.ProductIDs = append(r.ProductIDs, l.ProductID)
		r.Quantities = append(r.Quantities, l.Quantity)
		value += l.Price * float64(l.Quantity)
		priced = priced && l.Priced && l.Currency == c.Lines[0].Currency
		if i == 0 {
			r.Currency = l.Currency
		}
	}
	if priced && len(c.Lines) > 0 {
		r.CartValue = &value
	} else {
		r.Currency = ""
	}
	return r
}
