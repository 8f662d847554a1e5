// Package botfilter marks events that bots, crawlers, monitors and scripts
// sent, so that they can be kept out of the facts and stored in bot_events
// instead. It only marks (schemas.Event.BotRule and BotDetail); the pipeline
// routes. Rules are tried in the order of the schemas.BotRule* constants and
// the first that matches wins; an event that already has a BotRule keeps it.
//
// # User-agent rule (Marker)
//
// Every pattern matches case-insensitively ("mediapartners-google" is
// Mediapartners-Google). An event is a bot's when its user agent, tried in
// this order:
//
//  1. does not carry "Amzn-User" (Amazon's fetcher acting on a person's
//     request, taken as the person), and, with the allow-listed tokens
//     blanked (the tokens in-app browsers of Facebook, Instagram, Messenger,
//     WhatsApp, Viber, Line, Slack, WeChat, TikTok, Snapchat, Pinterest,
//     LinkedIn, X, Tumblr, SmartNews, Toutiao, Alipay and Taobao append; device build ids
//     after "Build/"; OkHttp's token
//     after an app's own), matches
//  2. a pattern of the crawler-user-agents list (monperrus/crawler-user-agents,
//     MIT), embedded from data/crawler-user-agents.json; see data/README.md
//     for its version and scripts/update-crawler-list.sh to update it;
//  3. a built-in pattern from data/extra_user_agents.txt: automation tools,
//     HTTP libraries, scanners, health checks and monitors the list misses;
//  4. a pattern from Options.UserAgentFile (one RE2 pattern per line, # for
//     comment lines);
//  5. a pattern of isbot (omrilotan/isbot, Unlicense), embedded from
//     data/isbot-patterns.json: broader patterns ("crawl", bare
//     "name/version" agents) tried after the named ones, so that BotDetail
//     names a known bot by its own pattern; isbot's look-arounds, which RE2
//     lacks, become literal guards;
//  6. unless it is a native app's (Dalvik/...; <App>/<version>
//     CFNetwork/... Darwin/...; <App>/<version> ... naming iPhone, iPad,
//     iOS or Android, as the shop's own app does; <App>/<version> ...
//     okhttp/<version>), a generic signal: an automation marker
//     (headless, Selenium, Puppeteer, PhantomJS, wkhtmltopdf, Lighthouse,
//     ...), no browser shape at all (Mozilla/5.0 with a platform and an
//     engine, old Internet Explorer, Presto Opera: what every browser, webview
//     and in-app browser sends, and scripts and HTTP clients do not), or a URL
//     or e-mail address;
//  7. uap-core's device parser (github.com/ua-parser/uap-go) giving the
//     device family "Spider".
//
// BotDetail names the source and the pattern or signal, e.g.
// "crawler-user-agents: Googlebot\/", "isbot: crawl",
// "generic: no browser or app token" or "uap-core: device family Spider";
// the rule is "user_agent" whichever source matched. An empty user agent is
// not a bot by this rule.
//
// Trying 1,700 regexps per user agent is slow in Go (about 2 ms as one
// alternation), so every pattern is reduced to literals that any match must
// contain ("googlebot/"); a user agent's bytes are looked up in an index of
// those literals and only the patterns whose literal occurs are run. A
// distinct user agent costs 10 to 25 µs for the allow-list, the patterns and
// the generic signals (BenchmarkUserAgentRule/humans-signals) and 100 to
// 250 µs more for uap-core, which only user agents that nothing else decided
// reach, people's browsers mostly; verdicts are cached per
// distinct user agent in an LRU (Options.UACacheSize), so repeated user
// agents cost a cache lookup.
//
// Caveat: bare HTTP-library user agents (okhttp/4.x, axios, Go-http-client,
// ...) are bots, and so is any user agent that is neither a browser's nor a
// native app's shape (media players, TV apps with their own formats): a
// native app must send its own name before its HTTP library's, as the
// formats above do.
//
// # IP rule (Marker)
//
// An event is a bot's when its raw IP address (transforms/prepare applies a
// Marker before enrich replaces it) lies in the deny list of
// Options.IPFile: one IPv4 or IPv6 address or CIDR prefix per line, #
// starts a comment. IPv4-mapped IPv6 addresses count as IPv4. BotDetail
// names the most specific entry that contains the address without ever
// showing a full address, since the ip column beside it is anonymized: a
// network (up to IPv4 /24, IPv6 /48, what the ip column keeps when it
// truncates) by its masked prefix, "203.0.113.0/24"; a narrower entry or a
// single address by its line in the file and its length, "deny list line
// 4: /32".
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
// Options carries file paths, not contents: NewMarker reads the files
// through Beam's filesystems (local paths; gs:// when the pipeline imports
// the gcs filesystem), on each worker when its DoFn is set up.
// Options.Validate reports options that are invalid on their face (a
// negative cache size, an unregistered path scheme); NewMarker reports them
// too, and a file that is missing or has a bad line, naming the file and
// line.
package botfilter
