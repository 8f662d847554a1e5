// Package pseudonym turns personal identifiers into values that can be
// stored: user ids into keyed hashes, IP addresses into truncated or keyed
// forms, and raw dead-letter payloads into copies with both replaced. It is
// plain Go, used by the parse and enrich transforms.
//
// # The key
//
// The HMAC key never lives in the repository or in the job graph: only a
// reference to it travels (a flag, a DoFn field), and each worker resolves it
// with [LoadKey] when it starts. Supported references:
//
//	env:NAME   the value of environment variable NAME
//	file:PATH  the contents of file PATH, surrounding white space trimmed
//	secret:projects/P/secrets/S/versions/V
//	           a Secret Manager secret version, read with the worker's
//	           default credentials (on Dataflow: its service account, which
//	           needs roles/secretmanager.secretAccessor on the secret);
//	           surrounding white space trimmed, the payload's CRC32C checked
//
// Name a version number, not "latest": workers resolve the reference when
// they start, so a version added during a job would give the workers started
// after it another key. When [SecretManagerEndpointEnv] is set, "secret:"
// references go to that host:port without TLS or credentials (tests,
// emulators).
//
// Use at least 32 random bytes (e.g. `openssl rand -hex 32`). Changing the key
// changes every user_key and hashed IP: rows written before and after a
// change no longer join.
//
// # Constructions
//
// user_key = hex(HMAC-SHA256(key, user_id))[:32], i.e. the first 16 bytes of
// the MAC in lower-case hex, of the user id with surrounding white space
// trimmed (no other normalization, no case folding), so that any system
// holding the key can recompute it, and " alice" and "alice" are one user
// wherever they are hashed. 128 bits keep accidental collisions out of reach
// for any realistic number of users.
//
// IP addresses are first canonicalised: IPv4-mapped IPv6 addresses become
// IPv4 and zones are dropped; anything that does not parse as an address
// becomes "". Then, by [IPMode]:
//
//	truncate (default)  IPv4 keeps its /24 (198.51.100.23 -> 198.51.100.0),
//	                    IPv6 its /48 (2001:db8:1:2::1 -> 2001:db8:1::)
//	hash                "h:" + hex(HMAC-SHA256(key, "ip:" + address))[:16]
//	raw                 the canonical address, for environments allowed to
//	                    keep it
//
// The "ip:" label keeps IP hashes apart from user keys made with the same key.
//
// # Dead-letter payloads
//
// [Pseudonymizer.Payload] prepares a rejected record for the dead_letter
// table. Every IP literal (IPv4, IPv6, IPv4-mapped) anywhere in it, in any
// key or string, goes through IP, whether the record is JSON or not:
// "client_ip", "x_forwarded_for" and the host of a "page_url" are scrubbed as
// well as "ip". User ids:
//
//   - Valid JSON is re-encoded compactly, keys in their original order, with
//     escapes decoded: the value of every key that contains "user_id" or
//     "userid" in any case ("user_id", "USER_ID", "prev_user_id", the
//     camelCase "userId" of Segment-style payloads) becomes "user_key:" +
//     UserKey (a value of another type than string: the key of its JSON
//     text; null stays null), and the value of every "ip" key goes through IP
//     whatever its type.
//   - Other text is scrubbed with patterns, after undoing backslash escapes
//     of letters, digits, '_', '.' and ':' ("user\u005fid", "\u0032..."),
//     which would hide a key or an address from them: each "user_id": value
//     pair ("userid" too, in any case) whose value is a JSON string or a
//     bare token followed by , } ] or the end is rewritten as above.
//   - When the text mentions user_id or userid anywhere else ({'user_id':
//     'alice'}, a key with an unterminated value, "user_id" inside a string,
//     "?userid=alice" in an access log's URL), the user
//     id cannot be rewritten reliably and the payload is withheld: it becomes
//     {"payload_withheld":"a user_id could not be rewritten","hmac":H,"bytes":N},
//     with H = hex(HMAC-SHA256(key, "payload:" + record))[:32] and N its
//     length, so identical records still match and nothing of the content is
//     stored.
//
// Field names are matched case-insensitively. The result is valid UTF-8 and
// cut to a byte limit on a character boundary. Text that is not JSON and
// longer than twice the limit is scrubbed only up to a boundary between
// once and twice the limit (see textPrefix in payload.go): what lies beyond
// is never stored, so a user_id mention there does not withhold it.
// [Pseudonymizer.Attributes] treats Pub/Sub message attributes the same
// way, as a JSON object.
package pseudonym
