// Package liveproducts computes live product performance per hour
// (live_products_1h, schemas.LiveProduct) from the stream of accepted events.
//
// # Definition
//
// Tumbling event-time windows of livewindow.Options.Window (1 h), per product and
// category, as sql/product_performance.sql defines them: product_view and
// add_to_cart events count under their product_id and category_id; the
// items of purchase events under their item_id and item_category ("(none)"
// when a category is missing; events and items without a product are
// ignored). In each window: the product views and adds to cart (events),
// the units purchased (the items' quantities, 1 when absent) and the
// purchased items' revenue, price x quantity, per currency (the item's,
// else its purchase's, else "unknown"). sql/live/products_1h.sql computes
// the same from fact_events_current.
//
// # Firings
//
// As in transforms/livefunnel: early while the window is open (every
// livewindow.Options.EarlyEvery of processing time on Dataflow; every
// livewindow.Options.EarlyAfter marks of a product on Prism), on time when the
// watermark passes the window's end, and late for late data within
// livewindow.Options.AllowedLateness. Each firing writes a row with its pane index and
// timing.
//
// # Exact figures across panes
//
// Panes accumulate: every firing recomputes its figures from all the
// window's marks of the product so far (one per product event or purchased
// item), so a repeated pane gives the same row and the latest row of a
// window holds all its admitted events. Nothing is summed across panes.
//
// Each mark counts once however many copies of its event arrive: a copy
// that came past the per-device dedup's horizon
// (bydevice.StreamingOptions.DedupHorizon) is among the accepted events,
// so the firing counts the marks by device_id, event_id and item, the key
// that fact_events_current keeps one row of.
package liveproducts
