// Package identity resolves sessions to users: it builds the time-ranged
// device -> user bridge (dim_device_users) and the dimensions dim_devices and
// dim_users from the accepted events, and stitches anonymous sessions to the
// user the bridge gives their device.
//
// It runs in the driver after a run's commit (Apply), like the commit
// itself, not in the Beam graph: the bridge must cover every run's events,
// and a login that arrives in a later run changes sessions that earlier runs
// wrote.
//
// # The bridge
//
// Per device, over its events in fact_events (deduplicated, bots excluded)
// ordered by (event_time, event_id), a period starts at the first event
// carrying a user_key after an event carrying another user_key (or at the
// device's first event carrying one) and ends, exclusive, at the start of
// the next period; the last period's valid_to is NULL (current). Anonymous
// events do not end a period. A shared device (A logs in, then B, then A
// again) therefore has three periods: A, B, A.
//
// # Resolution (retroactive stitching)
//
// resolved_user_key of a session on device d that starts at t:
//
//  1. a logged-in session (user_key set) resolves to its own user_key;
//  2. an anonymous session resolves to the user of d's period containing t;
//  3. an anonymous session before d's first period resolves to that period's
//     user when the period starts at most StitchWindow (default 7 days,
//     inclusive) after t: anonymous browsing before a login;
//  4. otherwise it stays NULL.
//
// A user's sessions on all devices carry the same key, so cross-device
// journeys follow resolved_user_key.
//
// # Across runs
//
// Apply rebuilds the dimensions from every committed fact_events partition,
// recomputes resolved_user_key for every committed fact_sessions partition,
// and rewrites only the partitions in which some row's resolved_user_key
// changed, together with the dimensions (unpartitioned, replaced whole), in
// one journaled warehouse commit (warehouse.Stage and warehouse.Commit). A
// login that arrives days after the anonymous sessions thus rewrites their
// partitions, which an earlier run wrote; fact_events is never rewritten.
// Because everything is derived from the committed warehouse, Apply is
// idempotent: run again on an unchanged warehouse it rewrites no
// fact_sessions partition.
package identity
