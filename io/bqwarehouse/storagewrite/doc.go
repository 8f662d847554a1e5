// Package storagewrite is the streaming sink to BigQuery: Append writes the
// rows of a table (fact_events, bot_events, dead_letter, fact_sessions)
// through the Storage Write API's default stream, within seconds of their
// bundle, without legacy insertAll.
//
// # Contract
//
// At least once. A bundle finishes only when BigQuery has acknowledged
// every one of its rows or rejected it: ProcessElement encodes rows and
// sends an AppendRows request whenever a batch is full (Options.MaxBatchRows
// rows, and under the API's 10 MB request limit), FinishBundle sends the
// rest and waits on every request. If the bundle fails after some of its
// requests were appended, the runner retries it and those rows are appended
// again: readers dedupe (fact_events by device_id and event_id, fact_sessions
// by device and overlapping time range; see the views in sql/views/).
// Exactly once would need committed streams with offsets per bundle, which
// a retried bundle cannot reuse.
//
// Every row ends in exactly one of two outputs, emitted when its bundle
// finishes, in the global window at the row's own timestamp:
//
//   - written, PCollection<schemas.Delivery>: the Delivery of each row
//     appended, so that a Pub/Sub message is acknowledged only once its rows
//     are in BigQuery (the zero Delivery for rows read from files; row types
//     without a Delivery field, such as schemas.Session, emit nothing);
//   - rejected, PCollection<Rejected>: each row BigQuery refused, with the
//     table and the row's tally key (a bot event's rule, a dead letter's
//     reason), so that the run's accounting can move it from the outcome
//     it was counted under, and its fallback dead letter.
//
// # Rows BigQuery refuses
//
// A refused row is never lost. Fallbacks turns Rejected into its fallback
// dead letter, minimal so that BigQuery takes it whatever made the row
// fail, and free of the row's values: reason "bigquery_rejected" (Reason),
// detail "<table>: <BigQuery's row error>" (valid UTF-8, at most 1 KiB),
// payload "sha256:<hex>" of the row as JSON and payload_bytes that JSON's
// length, the row's source, source_line and beacon_index (source
// "bigquery:<table>" for a row without one), its Delivery, and
// dead_letter_date the row's partition date when it lies in [2000, 2100),
// else its message's publish date, else today. Append those to dead_letter:
// its written output acknowledges the message once the fallback is durable.
// A fallback that dead_letter refuses too goes to Unwritable, which logs
// the row's source position, counts it in storagewrite/unwritable_rows (an
// alert watches it) and returns its Delivery, so that the message is
// acknowledged instead of redelivered for ever. Fallbacks are never sent
// round again.
//
// # Errors
//
//   - A row BigQuery refuses (the request comes back with row errors naming
//     its index): that row goes to rejected and the request's other rows,
//     which BigQuery did not append either, are sent again. A request
//     refused as a whole with InvalidArgument but no row named is halved
//     until the row at fault is alone, and that row is rejected. A row that
//     cannot be encoded (a REQUIRED column in a nil pointer) or is larger
//     than a request is rejected without being sent. A malformed row never
//     fails or holds up the job.
//   - Transient failures (Unavailable, ResourceExhausted, Internal, Aborted,
//     DeadlineExceeded, a connection the server ended, no answer within two
//     minutes) are sent again with exponential backoff (gax), up to
//     Options.MaxAttempts attempts; then, and for any other error
//     (NotFound, PermissionDenied, ...), the bundle fails and the runner
//     retries it.
//
// Counters (namespace "storagewrite"): <table>_rows_appended,
// <table>_rows_rejected, <table>_append_requests (AppendRows calls, resends
// included), <table>_append_retries (requests sent again after a
// transient failure) and unwritable_rows (rows whose fallback dead letter
// was refused too).
//
// # Encoding
//
// The message type is derived from the table definition (schemas/tables,
// through io/bqwarehouse.Schema and managedwriter/adapt, as a proto2
// descriptor), once per DoFn instance; fields are the row type's
// parquet-tagged fields (tag "-" is not stored), which Append checks against
// the table's columns while the graph is built. NULL follows the local
// warehouse: a NULLABLE column is NULL when its field is "", a zero
// time.Time or a nil pointer. DATE is sent as days since the epoch, TIMESTAMP
// as microseconds, a REPEATED STRING column as its list.
//
// # Connections
//
// Each DoFn instance opens one managedwriter client and one writer on the
// table's default stream in Setup, and closes them in Teardown.
// Options.Endpoint points the client at a fake server (see
// storagewritetest) instead of Google.
package storagewrite
