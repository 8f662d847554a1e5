// Package erased keeps an erased person's or device's events out of the
// tables once the erasure has run (README, Erasure and retention): a late
// beacon, a replay from the raw archive or Pub/Sub.
//
// Filter splits parsed events by a lookup of erased keys, the user_key
// values and device ids of erasure_requests, given as a multimap side input
// (a per-key lookup: no set is built per bundle or element). The
// lead wires it after parse in both modes, counting its second output as
// the outcome erased; it is not in the pipeline graph yet.
//
// In batch the lookup is read once, when the run starts. In streaming it
// must be refreshed: a periodic.Impulse every refresh interval, mapped to
// the current erasure_requests (a local file read or a BigQuery query), as
// a side input in the global window with the latest pane, on Prism and on
// Dataflow alike. A request takes effect on the stream at most one refresh
// interval after it is filed.
//
// Only events that carry an erased user_key or an erased device id are
// caught: the anonymous events of a device a person shared, which only the
// bridge tied to them, are not.
package erased
