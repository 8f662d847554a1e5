// Package livefunnel computes the live 10-minute funnel (live_funnel_10m,
// schemas.LiveFunnel) from the stream of accepted events.
//
// # Definition
//
// Tumbling event-time windows of livewindow.Options.Window (10 min), per default_channel_group
// and device_type of each event. In each window and group: the distinct
// devices with a product_view, an add_to_cart, a checkout_start and a
// purchase (each step counted on its own, so a device that bought without a
// product view in the window counts as a purchaser only); the rates between
// consecutive steps; and the purchases' revenue per currency. Streaming rows
// carry no session id, so the unit is the device. A device whose events in a
// window have two traffic classes counts in both groups, exactly as the
// batch view sql/live/funnel_10m.sql groups fact_events.
//
// # Firings
//
// A window fires early while it is open (every livewindow.Options.EarlyEvery of
// processing time on Dataflow; every livewindow.Options.EarlyAfter funnel events of a
// group on Prism, see livewindow.Options), on time when the watermark passes its end, and late once per late
// event within livewindow.Options.AllowedLateness; later events are dropped by the
// runner. Each firing writes a row with its pane index and timing.
//
// # Exact distinct counts across panes
//
// Panes accumulate: every firing sees all the window's events of the group
// so far (one compact mark per funnel event) and counts the distinct device
// ids of each step from them, so each row is exact for what had arrived, and
// the latest row of a window equals the distinct count over all of its
// admitted events. Nothing is summed across panes: a device seen in two
// panes is one device. The cost is that each firing reads the window's marks
// again; only the four funnel event types are kept.
package livefunnel
