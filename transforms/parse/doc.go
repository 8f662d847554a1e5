// Package parse turns raw records into events, or into dead-letter rows with
// a reason, following the raw event contract in schemas/raw_event.md.
//
// One raw record yields exactly as many outcomes as its InputRecords method
// counts: one per element of a beacon, otherwise one. Each outcome is
// either a schemas.Event or a schemas.DeadLetter, never both, never none.
//
// What parse does to an accepted event:
//   - splits beacons, applying the envelope's sent_at/received_at to events
//     that carry none of their own;
//   - checks types and required fields (event_id, device_id, created_at,
//     event_type);
//   - derives the event time from the three clocks (Snowplow's derived
//     timestamp, see EventTime) and the UTC event_date; every timestamp is
//     checked against BigQuery's range (years 1 to 9999) before conversion,
//     and a created_at or sent_at outside it is kept as the zero time (NULL)
//     and left out of the event time;
//   - lower-cases event_type and platform, upper-cases currency;
//   - replaces user_id by user_key, a keyed pseudonymous hash;
//   - keeps the line items (an item without a currency takes the event's);
//   - keeps the top-level fields the contract does not name as properties:
//     one JSON object, keys sorted, scrubbed like a dead-letter payload,
//     replaced by a size marker when longer than fact_events.properties'
//     bound (see schemas/raw_event.md, Custom properties).
//
// The raw IP is kept: the bot filter's IP rule needs it, and the enrich
// transform anonymizes it before anything is written or shuffled.
//
// Dead-letter rows keep the payload scrubbed by pseudonym.Payload (every
// IP literal anonymized, user ids hashed as in events, or the payload
// withheld when a user id cannot be rewritten), cut at MaxPayloadBytes, and
// Pub/Sub attributes scrubbed alike. Their detail names the field, its JSON
// type and its length, never its value. They are dated by the record's
// received_at when it is usable, else by the arrival date of its source.
//
// Every row parsed from a Pub/Sub message (a Record with Line 0) carries the
// message's schemas.Delivery: its ack id, the number of rows it produced, its
// publish time and the reader's watermark. The sinks pass it on so that the
// message is acknowledged only once all those rows are written.
package parse
