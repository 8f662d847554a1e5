// Package botfilter marks events that bots, crawlers, monitors and scripts
// sent, so that they can be kept out of the facts and stored in bot_events
// instead. It only marks (schemas.Event.BotRule and BotDetail); the pipeline
// routes. Rules are tried in the order of the schemas.BotRule* constants and
// the first that matches wins; an event that already has a BotRule keeps it.
//
// # User-agent rule (Mark)
//
// An event is a bot's when its user agent matches, in this order:
//
//  1. a pattern of the crawler-user-agents list (monperrus/crawler-user-agents,
//     MIT), embedded from data/crawler-user-agents.json; see data/README.md
//     for its version and scripts/update-crawler-list.sh to update it;
//  2. a built-in pattern from data/extra_user_agents.txt: automation tools,
//     HTTP libraries, scanners, health checks and monitors the list misses;
//  3. a pattern from Options.UserAgentFile (one RE2 pattern per line, # for
//     comment lines);
//  4. uap-core's device parser (github.com/ua-parser/uap-go) giving the
//     device family "Spider".
//
// BotDetail names the source and the pattern, e.g.
// "crawler-user-agents: Googlebot\/" or "uap-core: device family Spider". An
// empty user agent is not a bot by this rule. Patterns are case-sensitive
// unless they say otherwise ((?i)).
//
// Trying 1,500 regexps per user agent is slow in Go (about 2 ms as one
// alternation), so every pattern is reduced to literals that any match must
// contain ("googlebot/"); a user agent's bytes are looked up in an index of
// those literals and only the patterns whose literal occurs are run. A
// distinct user agent costs about 1 µs for the patterns and 0.2 to 0.6 ms for
// uap-core; verdicts are cached per distinct user agent in an LRU
// (Options.UACacheSize), so repeated user agents cost a cache lookup.
//
// Caveat: the list treats bare HTTP-library user agents (okhttp, axios,
// Go-http-client, ...) as bots. A native app that sends its events with such
// a default user agent would have all of them marked: collector SDKs must set
// their own user agent.
//
// # IP rule (Mark)
//
// An event is a bot's when its raw IP address (Mark runs before enrich
// replaces it) lies in the deny list of Options.IPFile: one IPv4 or IPv6
// address or CIDR prefix per line, # starts a comment. IPv4-mapped IPv6
// addresses count as IPv4. BotDetail names the most specific entry that
// contains the address without ever showing a full address, since the ip
// column beside it is anonymized: a network (up to IPv4 /24, IPv6 /48, what
// the ip column keeps when it truncates) by its masked prefix,
// "203.0.113.0/24"; a narrower entry or a single address by its line in the
// file and its length, "deny list line 4: /32".
//
// # Rate rule (MarkRate)
//
// MarkRate runs later, on one device's events after deduplication. A device's
// UTC day (EventDate) is a bot day when more than limit (default 200) of that
// day's events have an EventTime in one half-open interval [t, t+window)
// (default 60 s) inside the day; exactly limit events are not enough, and an
// event at t+window is outside. Windows do not span midnight. Every event of
// a bot day without a BotRule gets BotRule "rate" and a BotDetail naming the
// busiest interval: "241 events in 60s from 2026-11-01T10:00:03Z". Sorting
// then two pointers make it O(n log n) in the device's events.
//
// # Configuration
//
// Options carries file paths, not contents: each worker reads the files in
// its DoFn's Setup through Beam's filesystems (local paths; gs:// when the
// pipeline imports the gcs filesystem). Mark panics on options that are
// invalid on their face (a negative cache size, an unregistered path scheme);
// a file that is missing or has a bad line fails Setup with an error naming
// the file and line. NewMarker builds the same rules outside Beam, to check a
// configuration before submitting a job or to mark events in tests.
//
// # Counters
//
// Namespace "botfilter": marked_user_agent, marked_ip, already_marked and
// not_marked, one per way an event leaves Mark.
package botfilter
