// Package sessionize groups a device's events into sessions and builds the
// fact_sessions rows (schemas.Session, schemas/tables/fact_sessions.json).
//
// # Rules
//
// Sessions are per device_id, over deduplicated events with bots removed.
//
//   - Order: events are ordered by event_time; at one instant a
//     self-referral (an internal referrer, so traffic source (direct), with
//     no campaign tags or click ids) comes after the other events, since a
//     visit cannot have begun with it if another event of that instant came
//     from elsewhere; then by event_id. Whole-second server logs and events
//     fired together on a page load tie often, and the first event sets the
//     session's landing page, traffic source and id. Events that tie on all
//     of these (not expected after deduplication) are ordered by their other
//     fields, so the order, and every row, never depends on arrival order.
//   - Gap: an event Gap (default 30 min, --session_gap) or more after the
//     previous event starts a new session; 29:59.999 later it does not. Gaps
//     are measured on millisecond timestamps (event_time rounded down to the
//     millisecond, Beam's timestamp resolution), so that Batch and Beam's
//     session windows cut at the same place: 10:00:00.000900 and
//     10:30:00.000100 are 30 min apart.
//   - Maximum length: a session whose last event is MaxLength (default
//     24 h, --max_session_length) or more after its first is a runaway. It
//     is cut into rows at every multiple of MaxLength since the Unix epoch
//     (every UTC midnight at 24 h; an event at the instant starts the next
//     row), and each of its rows has is_runaway = true. The cuts are fixed
//     instants rather than MaxLength after the session's first event, so
//     daily runs, which read a long chain from different days on, cut it
//     in the same places and write rows that do not overlap. Whether a
//     chain is a runaway is judged from the events a run reads: with a
//     MaxLength of at most 24 h, a run that owns date D writes the rows of
//     a run over everything when it reads every event from one Gap before
//     D-1's midnight to one Gap after D+2's
//     (TestOwnedDateReadOneGapBeyondTheDaysAround).
//     It is applied when rows are built, not as a window (Beam Go has no
//     custom WindowFn), and measured in microseconds.
//   - Ids: session_id is the first 32 hex digits of
//     sha256("<device_id>|<first event_time in µs since epoch>|<first event_id>")
//     for the row's first event (SessionID): the same on every re-run of the
//     same input. A row of a split session has its own first event, so its
//     own id.
//   - Midnight: a session is dated by its start (session_date = UTC date of
//     session_start) and is not cut at midnight unless it is a runaway; its
//     events keep their own event_date, so a session that crosses midnight
//     has events in two fact_events partitions and one fact_sessions row.
//   - Columns: user_key is the last non-empty user_key of the row's events,
//     resolved_user_key starts equal to it (the dimension step resolves
//     anonymous sessions later); counts by event type; revenue is the sum of
//     purchase revenue; landing and exit pages are the first and last events
//     with a page path; page_path_sequence lists page paths in order with
//     consecutive repeats collapsed, capped at MaxPathLength (default 50)
//     entries; referrer, campaign, click ids, traffic source, medium,
//     campaign and channel group, geo, device type, browser, OS and platform
//     are the first event's; is_bounce means exactly
//     one event; is_engaged means longer than 10 s, or 2+ page_view and
//     product_view events, or a purchase.
//
// # Two executions, one accumulator
//
// Accumulator holds one device's events in compact form (time in µs,
// event_id, type, page, user key, revenue, and an index into the distinct
// attribution fields) and builds the rows. Both executions build rows only
// through it, so they give identical rows.
//
//   - Batch: plain Go over one device's events in memory, called by the
//     per-device stage (transforms/bydevice), which already groups a run's
//     events by device. It also sets each event's session_id.
//   - Streaming: Beam session windows of Gap per device,
//     fired at the end of the session and again for each late event within
//     AllowedLateness (default 6 h), panes accumulating; Version is the pane
//     index + 1. Latest keeps one row per session across firings.
//
// Every batch run uses Batch, on Prism and on Dataflow alike: Prism's
// per-element session windows are unusably slow beyond ~10k devices
// (measured on 2 cores, 200k events over 10k devices took 72 s and over 20k
// devices 249 s, where a GroupByKey in the global window handled 1M events in
// 31 s), and the per-device grouping is there anyway. Every streaming run,
// on Prism or Dataflow, uses Streaming, which handles late data.
//
// # Prism and late data
//
// Prism (Beam v2.77.0) tracks trigger readiness per unmerged window
// [t, t+Gap), so in streaming it emits fragments before the whole session:
// for events at 0, 20 and 45 min with the watermark passing 35 min in
// between, it emits [0,0] (1 event), [20m,45m] (2 events) and, when the
// watermark reaches the end, [0,45m] (3 events); Dataflow emits only the
// last. A late event likewise first comes out alone. Prism also repeats a
// session's last pane when its window expires (in batch too, so every
// session comes out twice), and versions panes per unmerged window, so a
// late event's own fragment can carry a higher version than the merged
// session. Latest, which prefers the row with more events, turns each of
// these outputs into the rows Dataflow's semantics give
// (streaming_teststream_test.go records them).
//
// Prism also merges session windows that only touch (events exactly Gap
// apart), where Beam's model keeps them apart; rows are still cut there,
// because the accumulator applies the gap rule itself.
//
// # Counters
//
// Namespace "sessionize" (Streaming): rows (every row emitted), runaway_rows,
// late_rows (rows of late panes).
package sessionize
