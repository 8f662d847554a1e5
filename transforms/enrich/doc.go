// Package enrich derives the analysis fields of an event from its page URL,
// referrer, user agent and IP address, and replaces the raw IP address.
// transforms/prepare applies an Enricher to every event after the bot rules
// (which need the raw address) and before the per-device steps;
// Enricher.Apply is the work, and ParsePage, Classifier and UAParser are its
// parts.
//
// # Page URL
//
// page_host is the URL's host, lower-cased, without port, user info or
// trailing dot, an internationalized name in punycode; page_path the path as
// a browser's location.pathname gives it (non-ASCII and unsafe bytes
// percent-encoded, backslashes as slashes, dot segments resolved, escapes
// kept as sent), "/" when empty; page_query the raw query without "?". The
// fragment is dropped.
// Parsing is lenient and never fails: a URL without "scheme://" or "//" has no
// host. utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid,
// msclkid and fbclid come from the query (keys case-insensitive, values
// percent-decoded and trimmed, the first non-empty value wins). page_url,
// referrer and every string taken from them are cut to MaxURLBytes (2048)
// bytes on a UTF-8 boundary, after parsing.
//
// page_key (PageKey) is the conformed page key shared with fact_sessions and
// dim_pages: a hash of page_host and page_path. PageTypes classifies paths
// into home, category, product, search, cart, checkout, confirmation or
// other by ordered, configurable rules (data/page_types.txt).
//
// # Traffic source and channel group
//
// referrer_host is parsed like page_host (android-app://PACKAGE/ referrers
// give the package name). traffic_source, traffic_medium and
// traffic_campaign follow GA4's definitions, the first that applies of:
//
//  1. UTM tags (any of utm_source, utm_medium, utm_campaign): their values
//     as sent, "(not set)" for a missing one. GA4 lets auto-tagging (gclid)
//     override manual tags by default; here manual tags win, so that a
//     site's own tagging is what it reads.
//  2. Click ids: gclid, gbraid, wbraid or dclid give google / cpc, msclkid
//     gives bing / cpc, campaign "(not set)". fbclid is no campaign tag: GA4
//     ignores it (Meta appends it to organic links too), and so does this.
//  3. The referrer: none, one without a host (about:blank), or an internal
//     one (the page's own host ignoring "www.", or Options.InternalDomains
//     and their subdomains) gives (direct) / (none) / (direct), as GA4 does
//     for self-referrals; a search engine of data/sources.json gives its name
//     / organic / (organic) (google, bing); a social, video or shopping site
//     gives its name / referral / (referral) (facebook, youtube, amazon); any
//     other host, without "www.", / referral / (referral).
//
// default_channel_group applies GA4's default channel group rules, in GA4's
// order, to source, medium and campaign (case-insensitive): Direct,
// Cross-network, Paid Shopping, Paid Search, Paid Social, Paid Video,
// Display, Paid Other, Organic Shopping, Organic Social, Organic Video,
// Organic Search, Referral, Email, Affiliates, Audio, SMS, Mobile Push
// Notifications, else Unassigned. "Paid" is a medium matching
// ^(.*cp.*|ppc|retargeting|paid.*)$; a source's category of
// data/sources.json is that of its most specific entry: one of the names or
// aliases (fb, ig), else the host pattern that matches most of it
// (blog.naver.com, social, before naver.com, search); a tie goes to the
// first of search, social, video, shopping. The categories are derived from
// GA4's published source categories, abridged.
//
// In data/sources.json an entry with a dot matches the host and its
// subdomains (facebook.com matches l.facebook.com); "brand.*" matches
// brand.SUFFIX, www.brand.SUFFIX and m.brand.SUFFIX for a one- or two-label
// suffix (google.co.uk), not other subdomains (docs.google.com is referral).
//
// # Geo
//
// With Options.GeoDB, the IP address is looked up before it is replaced:
// geo_country (ISO 3166-1 alpha-2), geo_region (first-level subdivision),
// geo_city and geo_continent (from the country, data/continents.txt). The
// databases are MaxMind DB files laid out like the @ip-location-db packages
// (country_code, state1, city), e.g. DB-IP's IP to City Lite (CC BY 4.0);
// they are read whole through Beam's filesystems (local or gs://) when the
// DoFn is set up, once per process. Without a database, or for an address it
// does not know, the geo fields are "" (NULL).
//
// # User agent
//
// uap-core's regexps (github.com/ua-parser/uap-go, the parser Snowplow also
// uses) give browser and os (the families, "" for uap-core's "Other") and
// their versions as major.minor. device_type maps the families:
//
//  1. device family Spider: bot (botfilter decides what is a bot; this is
//     uap-core's opinion, kept for analysis);
//  2. a TV, set-top box or console token (SMART-TV, Web0S, BRAVIA, AFT...,
//     CrKey, PlayStation, Xbox, Nintendo, ...): other;
//  3. an iPad or Kindle, Android with a "Tablet" token, or an Android browser
//     without the "Mobile" token: tablet;
//  4. a mobile OS (iOS, Android, Windows Phone, KaiOS, HarmonyOS, ...),
//     including native apps' own agents (Dalvik/..., CFNetwork/...): mobile;
//  5. a desktop OS (Windows, Mac OS X, Linux distributions, Chrome OS, BSDs):
//     desktop;
//  6. anything else (curl, no user agent): other.
//
// iPads on iPadOS 13 and later present Safari as a Mac and count as desktop.
// Building uap-core's parser compiles about two thousand regexps, so it is
// built once per process and shared. An unseen user agent costs about 15 µs
// (package internal/uapfilter runs only the patterns whose literals occur in
// it, with uap-go's results), and results are cached per distinct user
// agent in an LRU (Options.UACacheSize), so a repeated one costs a lookup.
//
// # IP address
//
// Last, Event.IP is replaced according to Options.IPMode (see package
// pseudonymize): truncate (default; /24 and /48), hash (keyed HMAC; the key
// is loaded from Options.HashKeyRef when the worker sets up) or raw. A value
// that is not an address becomes "" and is counted.
//
// # Errors
//
// Options.Validate reports invalid options (unknown IP mode, hash mode
// without a key reference, a malformed internal domain); NewEnricher reports
// them too, and a key or geo database that cannot be loaded.
package enrich
