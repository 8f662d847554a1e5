// Package abandonment finds abandoned carts in the stream of accepted events
// and emits one trigger per cart (schemas.CartAbandonment), then a recovered
// row when the device comes back.
//
// # Definition
//
// A device's cart opens at its first add_to_cart since its last purchase
// (cart_start) and holds the products added (less those removed). A purchase
// closes it; removing every line closes it too. The cart is abandoned when
// the device sends no event at all for Options.After of event time (15 min,
// --abandon_after) while the cart is open and no checkout_start came after
// its latest add_to_cart: a checkout that was started and left is a checkout
// abandonment, counted by sql/cart_abandonment.sql (abandoned_in_checkout),
// not a cart trigger. Any event the device sends after the trigger (a late
// event of the quiet period included) writes one recovered row with the
// same trigger_id; the cart stays the same cart, so it is never triggered
// twice.
//
// # Mechanism, and why it gives one trigger per cart on Prism
//
// Session windows would be the obvious clock, but Prism emits them in
// fragments (a fragment looks like a session that went quiet when it did
// not) and repeats panes. Per-key event-time timers would be the other, but
// Prism mishandles them in streaming (apache/beam#35771). So the clock is a
// fixed-window GroupByKey, which Prism fires correctly, and the memory is
// per-device state without timers:
//
//   - every event yields a wake-up request at event_time + After, grouped
//     per device in fixed windows of Options.Resolution; a group fires once
//     the watermark passes its window (and again for a late request within
//     Options.AllowedLateness), and becomes a wake-up saying "every on-time
//     event up to the window's end is known";
//   - the events themselves and the wake-ups meet in one stateful DoFn in the
//     global window, keyed by device. An event is held in the device's
//     state; a wake-up applies the held events up to its time in event-time
//     order, judging the gap before each, then the gap from the last one to
//     the wake-up's time. A cart found quiet is triggered and marked so.
//
// For on-time events the verdicts depend only on the events' times, not on
// the order or the bundles they arrive in: a stream that runs ahead of the watermark (a
// replay) gives the same triggers as a live one. When the device's next
// event is already known at the trigger (its gap was longer than After), the
// recovered row follows at once. A repeated pane or a fragment can only
// repeat a wake-up, and a triggered cart is never triggered again, so the
// trigger is emitted once per cart whatever the runner repeats; a retried
// bundle can publish it twice, with the same trigger_id. A trigger comes at
// most Resolution after the quiet period ends (in event time).
//
// An event that arrives after its cart's trigger recovers it at once, on
// arrival; a late event of the quiet period does too, which cancels the
// trigger for consumers. Events later than AllowedLateness wake nobody: they
// are applied at the device's next wake-up. The one assumption on the runner:
// an event reaches the stateful DoFn no later than a wake-up whose time is
// after it; Prism guarantees it (a stateful stage takes each key's pending
// elements in timestamp order), and elsewhere a violation shows as a
// trigger followed by its recovered row, never as a lost one.
//
// # State
//
// One value per device (the open cart, the last event time, the newest
// user_key, the events not yet applied), kept without timers: a device that
// never comes back keeps it.
package abandonment
