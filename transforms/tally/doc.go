// Package tally counts where every input record went, as data.
//
// In streaming, ByMinute counts per publish minute instead (Rows turns those
// tallies into reconciliation table rows), so that a job that never ends can
// still be reconciled interval by interval.
//
// Beam counters are for watching a job; they are best-effort on some runners
// and cannot be read back reliably after a run. The run's reconciliation
// needs exact numbers, so each transform that decides an outcome also emits
// schemas.Tally elements (pre-aggregated per bundle), and Write stores them
// as JSON lines under a directory (local or gs://) that Read sums after the
// run. The tally names and the identity they must satisfy are in schemas:
//
//	input_records = events + duplicates + bots + dead_letter + out_of_range + unwritable
//
// An outcome can change after it was counted: in streaming, a row BigQuery
// refuses is replaced by a fallback dead letter (or, when that is refused
// too, the record is unwritable). The move is counted as two tallies in
// the record's publish minute, -1 under the first outcome and +1 under the
// new one (MinuteKey), so that the sums say where each record ended.
package tally
