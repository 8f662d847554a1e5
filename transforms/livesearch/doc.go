// Package livesearch computes live search performance per hour
// (live_search_1h, schemas.LiveSearch) from the stream of accepted events.
//
// # Definition
//
// Tumbling event-time windows of livewindow.Options.Window (1 h), per normalized query
// (Normalize: lowercased, runs of spaces made one space, trimmed of spaces;
// search events whose query is then empty are ignored). In each window, of
// the query's search events: the searches, those that reported a
// results_count, those with results_count 0 (the zero-result share is their
// ratio), and those followed on the same device by a product_view or a
// purchase strictly after the search and at most Within (30 min) after it
// in event time. A search counts in the window of its own event time.
// sql/live/search_1h.sql computes the same from fact_events_current.
//
// # Follow-through
//
// A stateful DoFn keyed by device, in the global window, keeps the device's
// searches and product views/purchases of the last Within +
// livewindow.Options.AllowedLateness of event time (state only: per-key timers are
// broken on Prism, beam#35771). When a search and a later visit within
// Within meet, in either arrival order, it emits one "followed" mark for the
// search, timestamped at the search's event time and keyed by its query, and
// never again for that search. Since the visit can come up to Within after
// the search, a followed mark often arrives after its window's on-time pane
// and updates the window in a late pane; marks later than the allowed
// lateness are dropped by the runner.
//
// # Firings and exact counts
//
// As in transforms/livefunnel: early while the window is open (every
// livewindow.Options.EarlyEvery of processing time on Dataflow; every
// livewindow.Options.EarlyAfter marks of a query on Prism), on time, and late within
// livewindow.Options.AllowedLateness. Panes accumulate: every firing counts the
// distinct searches, by device_id and event_id (fact_events_current's key),
// among all the window's marks so far, so a repeated pane, a redelivered
// event or a copy past the per-device dedup's horizon gives the same row.
package livesearch
