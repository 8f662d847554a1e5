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
//     global window, keyed by device: events update the cart, a wake-up
//     triggers an open cart whose device's last event is at least After
//     before the wake-up's time, and marks the cart triggered.
//
// A repeated pane or a fragment can only repeat a wake-up, and a triggered
// cart is never triggered again, so the trigger is emitted once per cart
// whatever the runner repeats; a retried bundle can publish it twice, with
// the same trigger_id. A trigger comes at most Resolution after the quiet
// period ends (in event time).
//
// Prism processes a stateful stage's pending elements per key in timestamp
// order, so the events up to a wake-up's time are applied before it. A
// runner that delivered an on-time event after the wake-up it precedes (or a
// late event) would see it as activity after the trigger: the cart gets a
// recovered row, which cancels the trigger for consumers.
//
// # State
//
// One small value per device (the open cart, the last event time, the newest
// user_key), kept without timers: a device that never comes back keeps it.
package abandonment
