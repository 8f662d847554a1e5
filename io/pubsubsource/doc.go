// Package pubsubsource reads a Pub/Sub subscription as an unbounded source of
// schemas.Record and acknowledges each message only once all of its rows
// have been written. It runs on Prism (the local runner) against Google,
// the Pub/Sub emulator or pstest; on Dataflow, ReadOptions.Native switches
// to Beam's pubsubio, which only Dataflow runs.
//
// # Reading
//
// Read is Impulse followed by a splittable DoFn modeled on Beam's natsio.
// Its restriction counts messages: [0, MaxMessages) when MaxMessages is
// set, else a growable range. Each call of the DoFn pulls batches
// (SubscriptionAdminClient.Pull, BatchSize messages at most) until a pull
// comes back short or, through a backlog, for about five seconds, then
// checkpoints so that its output and watermark move on; after an empty
// pull it resumes a second later. Every message becomes one record;
// a body longer than MaxRecordBytes is cut and marked too_large. The
// element timestamp is the TimestampAttribute's value (RFC 3339 or Unix
// milliseconds) when set; a message whose attribute is missing or
// unparseable keeps its publish time and is counted
// (pubsub/bad_timestamp_attribute), never dropped.
//
// A local run ends by itself: when MaxMessages messages have been read or
// MaxDuration has passed, the DoFn stops (sdf.StopProcessing), its watermark
// goes to +inf, every window downstream fires and Prism ends the job.
//
// # Watermark
//
// The watermark follows the element timestamps and obeys three rules:
//
//   - It never decreases.
//   - One message cannot move it far. Each non-empty pull proposes a
//     candidate: the 5% quantile of its messages' event times (the smallest
//     when fewer than 20), capped at the wall clock minus 10 s. The
//     watermark advances to the smallest candidate of the last four pulls.
//     So a message from the future is ignored among others, a lone message
//     cannot pass the wall clock minus 10 s, and a few stragglers per pull
//     (offline devices) do not stall it: they become late data, which the
//     pipeline's allowed lateness handles and Record.Watermark lets it count.
//   - An idle subscription advances it. Once pulls have returned nothing for
//     2 s (at least two empty pulls), the watermark moves to the wall clock
//     minus 10 s, so session windows on a quiet stream close. The cost: a
//     message whose event time is more than 10 s old when it becomes
//     pullable after a quiet spell is late. Replaying old events with
//     TimestampAttribute through a stream therefore makes them late once
//     the stream pauses; backfills belong in batch mode.
//
// Record.Watermark is the reader's watermark as the runner knows it when the
// record is emitted: the value of the reader's last checkpoint, not what
// the current call has observed since. Stages further down may still lag
// behind it for a moment, so lateness judged from it errs towards "late".
//
// # Acknowledging after the write
//
// Bundle finalization cannot be relied on in this SDK version (callbacks
// are lost on reused plans), so acknowledgement is explicit:
//
//   - On receipt the reader extends each message's deadline to AckDeadline
//     and hands its ack id to the process's lease keeper, which extends the
//     deadlines (ModifyAckDeadline, 2500 ids per request) every third of
//     AckDeadline until the message is acknowledged or an hour has passed.
//   - The sinks emit one schemas.Delivery per row written (or otherwise
//     settled, e.g. a dropped duplicate). Acknowledge re-windows them into
//     the global window, counts them per AckID in a stateful DoFn and, when
//     Rows of them have arrived, acknowledges the message (Acknowledge, 2500
//     ids per request, at the latest at the end of the bundle) and tells the
//     lease keeper. An acked message stays known for the rest of the job so
//     that a repeated pane cannot acknowledge it twice (a few bytes per
//     message: local runs end; Dataflow acknowledges on its own).
//   - A message whose rows never all arrive stays unacknowledged; its lease
//     lapses after at most an hour and Pub/Sub redelivers it with a new ack
//     id. That is the at-least-once contract: downstream dedup on event_id
//     removes the copies.
//   - The per-message count is state, and Prism loses state updates when it
//     splits a stateful bundle (the split-off elements' key goes to a new
//     bundle while the first still holds its uncommitted state; the last
//     commit wins). Acknowledge therefore sets Prism's
//     prism_disable_sdf_split experiment for the job it is built into; the
//     reader checkpoints by itself.
//   - When a local job has ended, GiveBackUnacked lists the messages that
//     were read and never acknowledged, with the reason, and gives their
//     leases back so that Pub/Sub redelivers them at once.
//
// The lease keeper lives in the process. On Prism, reader and acknowledger
// share it. When a new run starts reading a subscription in a process that
// still holds leases of an earlier run (e.g. a failed test run), those
// leases are given back at once (deadline 0) so the messages are redelivered
// without waiting. Where reader and acknowledger run in different processes
// (a distributed runner other than Dataflow), acknowledgement still works,
// since ack ids are valid in any process, but the reader's keeper is never
// told and keeps extending acknowledged ids (harmless no-ops) for up to an
// hour; a crashed process's leases simply lapse and the messages are
// redelivered.
//
// # Subscriptions
//
// CreateSubscription, for runs given a topic, sets an expiration policy of
// SubscriptionTTL (one day, Pub/Sub's minimum): an ad-hoc run's
// subscription is deleted by Pub/Sub after a day without use.
//
// # Dataflow
//
// With Native, Read is pubsubio.Read (subscription, timestamp attribute,
// attributes) plus a conversion to schemas.Record with an empty AckID and
// Watermark, and Acknowledge adds nothing to the graph: Dataflow
// acknowledges on its own checkpoints.
//
// # Counters
//
// pubsub/messages, bytes, pulls, empty_pulls, too_large,
// bad_timestamp_attribute, lease_extensions, leases_expired, acked and
// deliveries_ignored (deliveries without an ack id, or for a message already
// acknowledged).
package pubsubsource
