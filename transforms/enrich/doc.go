// Package enrich derives the analysis fields of an event from its page URL,
// referrer and user agent, and replaces its raw IP address. It runs after
// botfilter.Mark (which needs the raw address) and before the per-device
// steps.
//
// Enrich (PCollection<schemas.Event> -> PCollection<schemas.Event>) applies
// an Enricher to every event; Enricher.Apply is the same work without Beam,
// and ParsePage, Classifier and UAParser are its parts.
//
// # Page URL
//
// page_host is the URL's host, lower-cased, without port, user info or
// trailing dot; page_path the path as sent (still percent-encoded), "/" when
// empty; page_query the raw query without "?". The fragment is dropped.
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
// # Traffic class
//
// referrer_host is parsed like page_host (android-app://PACKAGE/ referrers
// give the package name). traffic_class is the first that applies of:
//
//  1. Campaign tags in the page URL, by utm_medium (case-insensitive):
//     - paid: a gclid or msclkid (or gbraid, wbraid, dclid), or a medium of
//     cpc, ppc, cpm, cpv, cpa, display, banner, retargeting, remarketing or
//     paid*;
//     - email: email, e-mail, e_mail, "e mail", newsletter;
//     - social: social* or sm;
//     - search: organic;
//     - referral: any other medium (referral, affiliate, partner, qr, ...);
//     - social: no medium but an fbclid. Meta appends fbclid to every outbound
//     link, organic posts included, so alone it means "from Facebook or
//     Instagram", not "paid"; tag paid Meta campaigns with utm_medium;
//     - referral: no medium but a utm_source or utm_campaign (a tagged link
//     whose channel is unknown).
//     utm_term and utm_content alone are not campaign tags.
//  2. The referrer:
//     - direct: no referrer, or one without a host (about:blank);
//     - internal: the page's own host (ignoring "www.") or one of
//     Options.InternalDomains or their subdomains;
//     - email: a webmail host (data/domains.json "email", or a host starting
//     with webmail. or mail. followed by at least two labels);
//     - social: a social network (data/domains.json "social");
//     - search: a search engine (data/domains.json "search");
//     - referral: any other host.
//
// In data/domains.json an entry matches the host and its subdomains
// (facebook.com matches l.facebook.com); "brand.*" matches brand.SUFFIX,
// www.brand.SUFFIX and m.brand.SUFFIX for a one- or two-label suffix
// (google.co.uk), not other subdomains (docs.google.com is referral).
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
// # Errors and counters
//
// Enrich panics on invalid options (unknown IP mode, hash mode without a key
// reference, a malformed internal domain); a key that cannot be loaded fails
// the DoFn's Setup. Counters, namespace "enrich": enriched (every event),
// ip_not_an_address.
package enrich
