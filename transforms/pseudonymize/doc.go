// Package pseudonymize turns personal identifiers into values that can be
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
// the MAC in lower-case hex. The user id is hashed exactly as sent (no
// trimming or case folding), so any system holding the key can recompute it.
// 128 bits keep accidental collisions out of reach for any realistic number of
// users.
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
// table: when the record is valid JSON every "ip" value (at any depth, e.g.
// inside a beacon's events) goes through IP and every "user_id" value
// becomes "user_key:" + UserKey; the rest is re-encoded compactly, keys in
// their original order. A record that is not valid JSON is scrubbed with
// regular expressions instead: `"user_id":"..."` pairs first, then every IPv4
// and IPv6 literal. Field names are matched case-insensitively. The result is
// valid UTF-8 and cut to a byte limit on a character boundary.
package pseudonymize
