// Package pubsubsink publishes rows to a Pub/Sub topic as JSON messages.
//
// Publishing is at-least-once: a retried bundle or a repeated pane publishes
// a row again, so each message carries a deterministic id attribute (a
// field of the row, e.g. trigger_id or anomaly_id) that consumers
// deduplicate on. A publish that still fails after its retries is logged
// and counted (pubsubsink/failed), never fails the job: the rows are also
// in the warehouse table, which is the record.
package pubsubsink
