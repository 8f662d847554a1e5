// Package parse turns raw records into events, or into dead-letter rows with
// a reason, following the raw event contract in schemas/raw_event.md.
//
// One raw record yields exactly as many outcomes as files.RecordsIn counts
// for it: one per element of a beacon, otherwise one. Each outcome is either
// a schemas.Event or a schemas.DeadLetter, never both, never none.
//
// What parse does to an accepted event:
//   - splits beacons, applying the envelope's sent_at/received_at to events
//     that carry none of their own;
//   - checks types and required fields (event_id, device_id, created_at,
//     event_type);
//   - derives the event time from the three clocks (Snowplow's derived
//     timestamp, see EventTime) and the UTC event_date;
//   - lower-cases event_type and platform, upper-cases currency;
//   - replaces user_id by user_key, a keyed pseudonymous hash.
//
// The raw IP is kept: the bot filter's IP rule needs it, and the enrich
// transform anonymizes it before anything is written or shuffled.
//
// Dead-letter rows keep the payload with the same PII treatment as events
// (IPs anonymized, user ids hashed), cut at MaxPayloadBytes, and are dated by
// the record's received_at when it is usable, else by the arrival date of its
// source.
//
// Every row parsed from a Pub/Sub message (a Record with Line 0) carries the
// message's schemas.Delivery: its ack id, the number of rows it produced, its
// publish time and the reader's watermark. The sinks pass it on so that the
// message is acknowledged only once all those rows are written.
package parse
