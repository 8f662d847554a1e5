package enrich

import (
	"net/url"
	"strings"

	whatwg "github.com/nlnwa/whatwg-url/url"

	"github.com/example/clickstream/internal/pseudonym"
)

// MaxURLBytes is where URLs and the strings taken from them are cut (on a
// UTF-8 boundary) before they are stored.
const MaxURLBytes = 2048

// Page is what a page URL says.
type Page struct {
	Host  string `json:"host"`  // lower-cased, without port or trailing dot, an IDN in punycode
	Path  string `json:"path"`  // escaped as a browser's location.pathname (browserPath), without query and fragment; "/" when empty
	Query string `json:"query"` // the raw query string, without "?"

	UTMSource   string `json:"utm_source"`
	UTMMedium   string `json:"utm_medium"`
	UTMCampaign string `json:"utm_campaign"`
	UTMTerm     string `json:"utm_term"`
	UTMContent  string `json:"utm_content"`
	GCLID       string `json:"gclid"`
	MSCLKID     string `json:"msclkid"`
	FBCLID      string `json:"fbclid"`
	// OtherClickID is set when the URL carries another Google Ads click id
	// (gbraid, wbraid, dclid): not stored, but it makes the visit paid.
	OtherClickID bool `json:"other_click_id"`
}

// ParsePage splits a page URL into host, path and query and reads the UTM
// parameters and click ids from the query. Parsing is lenient: any string
// gives a result, and a URL without a scheme has no host (a relative one is
// all path).
func ParsePage(raw string) Page {
	var p Page
	var rest string
	p.Host, rest = splitHost(raw)
	path, query, _ := strings.Cut(rest, "?")
	// Cut before parsing: the parser's time grows with the square of a
	// path's segments (a 256 KiB path of slashes took 9 s).
	p.Path, p.Query = browserPath(cut(path)), query
	if p.Host != "" && p.Path == "" {
		p.Path = "/"
	}
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		key, value, _ := strings.Cut(pair, "=")
		dst := p.param(key)
		if dst == nil {
			if isOtherClickID(key) && value != "" {
				p.OtherClickID = true
			}
			continue
		}
		if *dst != "" { // the first non-empty value wins
			continue
		}
		if v, err := url.QueryUnescape(value); err == nil {
			value = v
		}
		*dst = cut(strings.TrimSpace(value))
	}
	p.Path, p.Query = cut(p.Path), cut(p.Query)
	return p
}

// param returns the field a query parameter fills, or nil. Keys are matched
// case-insensitively (UTM_Source happens).
func (p *Page) param(key string) *string {
	if len(key) < 5 || len(key) > 12 {
		return nil // fast path: no wanted key has another length
	}
	switch strings.ToLower(key) {
	case "utm_source":
		return &p.UTMSource
	case "utm_medium":
		return &p.UTMMedium
	case "utm_campaign":
		return &p.UTMCampaign
	case "utm_term":
		return &p.UTMTerm
	case "utm_content":
		return &p.UTMContent
	case "gclid":
		return &p.GCLID
	case "msclkid":
		return &p.MSCLKID
	case "fbclid":
		return &p.FBCLID
	}
	return nil
}

func isOtherClickID(key string) bool {
	return strings.EqualFold(key, "dclid") || strings.EqualFold(key, "gbraid") || strings.EqualFold(key, "wbraid")
}

// splitHost returns the lower-cased host of a URL (or of an app referrer such
// as android-app://com.google.android.gm/) and what follows it, without the
// fragment. A string without "scheme://" or "//" has no host.
func splitHost(raw string) (host, rest string) {
	s := strings.TrimSpace(raw)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	switch i := strings.Index(s, "//"); {
	case i == 0:
		s = s[2:]
	case i > 0 && s[i-1] == ':' && isScheme(s[:i-1]):
		s = s[i+2:]
	default:
		return "", s
	}
	end := strings.IndexAny(s, "/?\\") // a browser reads a backslash as a slash
	if end < 0 {
		end = len(s)
	}
	authority, rest := s[:end], s[end:]
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:] // drop user info
	}
	return normalizeHost(authority), rest
}

// browserPath returns an absolute path as a browser's location.pathname
// gives it, by WHATWG URL parsing: non-ASCII and unsafe bytes
// percent-encoded (upper-case hex), backslashes read as slashes, dot
// segments resolved; escapes already there are kept as they are, as
// browsers keep them. So a server-side event's decoded path (/p/größe) and
// a beacon's (/p/gr%C3%B6%C3%9Fe) are one page. A path a browser leaves
// alone, nearly every one, is returned without parsing; a relative path
// (no leading slash or backslash) as it is.
func browserPath(path string) string {
	if path == "" || path[0] != '/' && path[0] != '\\' || !needsBrowserPath(path) {
		return path
	}
	u, err := whatwg.Parse("http://h" + path)
	if err != nil {
		return path
	}
	return u.Pathname()
}

// needsBrowserPath reports whether a browser would write the absolute path
// differently: a byte of WHATWG's path percent-encode set, a backslash or a
// dot segment.
func needsBrowserPath(path string) bool {
	for i := 0; i < len(path); i++ {
		c := path[i]
		if whatwg.PathPercentEncodeSet.ByteShouldBeEncoded(c) || c == '\\' {
			return true
		}
		if c == '/' {
			seg, _, _ := strings.Cut(path[i+1:], "/")
			if isDotSegment(seg) {
				return true
			}
		}
	}
	return false
}

// isDotSegment reports whether a path segment is one a browser resolves:
// "." or "..", either dot perhaps written %2e.
func isDotSegment(seg string) bool {
	if len(seg) > len("%2e%2e") {
		return false // fast path: nearly every segment, without lower-casing it
	}
	for _, d := range []string{".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"} {
		if strings.EqualFold(seg, d) {
			return true
		}
	}
	return false
}

// browserHost returns a host with non-ASCII letters as browsers write it,
// in punycode (münchen.de -> xn--mnchen-3ya.de), or h itself when it is
// ASCII or the parser refuses it.
func browserHost(h string) string {
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			u, err := whatwg.Parse("http://" + h + "/")
			if err != nil {
				return h
			}
			return u.Hostname()
		}
	}
	return h
}

// normalizeHost drops the port and a trailing dot, lower-cases and writes an
// internationalized name in punycode (browserHost).
func normalizeHost(h string) string {
	if strings.HasPrefix(h, "[") { // IPv6 literal
		if i := strings.IndexByte(h, ']'); i > 0 {
			return strings.ToLower(h[1:i])
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && allDigits(h[i+1:]) {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if needsLower(h) {
		h = browserHost(strings.ToLower(h))
	}
	return cut(h)
}

func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func needsLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' || s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func cut(s string) string { return pseudonym.Truncate(s, MaxURLBytes) }
