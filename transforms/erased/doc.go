// Package erased keeps an erased person's or device's events out of the
// tables once the erasure has run (README, Erasure and retention): a late
// beacon, a replay from the raw archive or Pub/Sub. Both pipelines split
// events by Matches right after transforms/prepare (parse, bot rules,
// enrich) and count the erased ones as the outcome erased, which is written
// nowhere.
//
// The erased keys are the user_key values and device ids of the erasure
// requests (io/erasure's Lookup reads them: the erasure_requests table of
// the local warehouse or of BigQuery, or a requests file hashed with the
// run's key).
//
// In batch the pipeline reads them once, when the job starts, and Filter
// looks them up as a multimap side input (a per-key lookup: no set is built
// per bundle or element).
//
// In streaming each filter instance holds them and reads them again before
// the first event after they are older than the refresh interval
// (pipelines, --erasure_refresh): a request takes effect on the stream at
// most one refresh interval after it is filed, on Prism and on Dataflow
// alike. The slowly-changing side input pattern (periodic.Impulse in the
// global window, latest pane) is not used: periodic.Impulse emits until
// its end time, so on Prism, which has no drain, a local streaming run
// would no longer end when its Pub/Sub reader stops.
//
// Only events that carry an erased user_key or an erased device id are
// caught: the anonymous events of a device a person shared, which only the
// bridge tied to them, are not.
package erased
