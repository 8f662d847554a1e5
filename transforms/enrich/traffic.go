package enrich

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// Traffic classes (fact_events.traffic_class).
const (
	ClassPaid     = "paid"
	ClassEmail    = "email"
	ClassSocial   = "social"
	ClassSearch   = "search"
	ClassInternal = "internal"
	ClassReferral = "referral"
	ClassDirect   = "direct"
)

//go:embed data/domains.json
var domainsJSON []byte

// domainSet matches hosts against entries of data/domains.json.
type domainSet struct {
	hosts  map[string]bool // "facebook.com": the host and its subdomains
	brands map[string]bool // "google" from "google.*"
}

func newDomainSet(entries []string) (domainSet, error) {
	d := domainSet{hosts: map[string]bool{}, brands: map[string]bool{}}
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case strings.HasSuffix(e, ".*") && !strings.Contains(e[:len(e)-2], "."):
			d.brands[e[:len(e)-2]] = true
		case e == "" || strings.ContainsAny(e, "*/: "):
			return d, fmt.Errorf("bad domain entry %q", e)
		default:
			d.hosts[e] = true
		}
	}
	return d, nil
}

func (d domainSet) match(host string) bool {
	for h := host; ; {
		if d.hosts[h] {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	h := host
	if s, ok := strings.CutPrefix(h, "www."); ok {
		h = s
	} else if s, ok := strings.CutPrefix(h, "m."); ok {
		h = s
	}
	brand, suffix, ok := strings.Cut(h, ".")
	return ok && d.brands[brand] && plausibleSuffix(suffix)
}

// plausibleSuffix reports whether s looks like a public suffix: one or two
// labels of two or three letters (com, de, co.uk, com.br).
func plausibleSuffix(s string) bool {
	labels := 0
	for s != "" {
		var label string
		label, s, _ = strings.Cut(s, ".")
		if len(label) < 2 || len(label) > 3 {
			return false
		}
		for i := 0; i < len(label); i++ {
			if label[i] < 'a' || label[i] > 'z' {
				return false
			}
		}
		labels++
	}
	return labels == 1 || labels == 2
}

type domainLists struct {
	email, social, search domainSet
	emailPrefixes         []string
}

var loadDomainLists = sync.OnceValues(func() (*domainLists, error) {
	var raw struct {
		Email         []string `json:"email"`
		EmailPrefixes []string `json:"email_host_prefixes"`
		Social        []string `json:"social"`
		Search        []string `json:"search"`
	}
	if err := json.Unmarshal(domainsJSON, &raw); err != nil {
		return nil, fmt.Errorf("enrich: data/domains.json: %w", err)
	}
	l := &domainLists{emailPrefixes: raw.EmailPrefixes}
	var err error
	for _, x := range []struct {
		dst     *domainSet
		entries []string
	}{{&l.email, raw.Email}, {&l.social, raw.Social}, {&l.search, raw.Search}} {
		if *x.dst, err = newDomainSet(x.entries); err != nil {
			return nil, fmt.Errorf("enrich: data/domains.json: %w", err)
		}
	}
	return l, nil
})

func (l *domainLists) isEmail(host string) bool {
	if l.email.match(host) {
		return true
	}
	for _, p := range l.emailPrefixes {
		if rest, ok := strings.CutPrefix(host, p); ok && strings.Contains(rest, ".") {
			return true
		}
	}
	return false
}

// Classifier gives a visit its traffic class (see the package documentation
// for the rules and their precedence). It is safe for concurrent use.
type Classifier struct {
	internal []string
	lists    *domainLists
}

// NewClassifier returns a Classifier for which internalDomains (and their
// subdomains) are the site's own, besides the page's host.
func NewClassifier(internalDomains []string) (*Classifier, error) {
	lists, err := loadDomainLists()
	if err != nil {
		return nil, err
	}
	c := &Classifier{lists: lists}
	for _, d := range internalDomains {
		n, err := normalizeDomain(d)
		if err != nil {
			return nil, err
		}
		c.internal = append(c.internal, n)
	}
	return c, nil
}

// normalizeDomain accepts "example.com", ".example.com", "*.example.com" and
// "Example.COM".
func normalizeDomain(d string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(d))
	n = strings.TrimPrefix(strings.TrimPrefix(n, "*"), ".")
	n = strings.TrimSuffix(n, ".")
	if n == "" || strings.ContainsAny(n, "/:*@ ") {
		return "", fmt.Errorf("enrich: bad internal domain %q: want a host name like example.com", d)
	}
	return n, nil
}

// Classify returns the referrer's host and the visit's traffic class, from
// the page's campaign tags first, then from the referrer.
func (c *Classifier) Classify(page Page, referrer string) (referrerHost, class string) {
	referrerHost, _ = splitHost(referrer)
	if class = classifyTags(page); class != "" {
		return referrerHost, class
	}
	switch {
	case referrerHost == "":
		return "", ClassDirect
	case c.isInternal(referrerHost, page.Host):
		return referrerHost, ClassInternal
	case c.lists.isEmail(referrerHost):
		return referrerHost, ClassEmail
	case c.lists.social.match(referrerHost):
		return referrerHost, ClassSocial
	case c.lists.search.match(referrerHost):
		return referrerHost, ClassSearch
	}
	return referrerHost, ClassReferral
}

func (c *Classifier) isInternal(ref, pageHost string) bool {
	if pageHost != "" && strings.TrimPrefix(ref, "www.") == strings.TrimPrefix(pageHost, "www.") {
		return true
	}
	for _, d := range c.internal {
		if ref == d || strings.HasSuffix(ref, d) && ref[len(ref)-len(d)-1] == '.' {
			return true
		}
	}
	return false
}

// classifyTags returns the class the campaign tags give, or "" when the page
// URL has none.
func classifyTags(p Page) string {
	medium := strings.ToLower(strings.TrimSpace(p.UTMMedium))
	switch {
	case p.GCLID != "" || p.MSCLKID != "" || p.OtherClickID || isPaidMedium(medium):
		return ClassPaid
	case isEmailMedium(medium):
		return ClassEmail
	case isSocialMedium(medium):
		return ClassSocial
	case medium == "organic":
		return ClassSearch
	case medium != "":
		return ClassReferral // referral, affiliate, partner, qr, ... and the unknown
	case p.FBCLID != "":
		// Meta adds fbclid to every outbound link, organic posts included:
		// alone it says "from Facebook or Instagram", not "paid".
		return ClassSocial
	case p.UTMSource != "" || p.UTMCampaign != "":
		return ClassReferral
	}
	return ""
}

func isPaidMedium(m string) bool {
	switch m {
	case "cpc", "ppc", "cpm", "cpv", "cpa", "display", "banner", "retargeting", "remarketing":
		return true
	}
	return strings.HasPrefix(m, "paid")
}

func isEmailMedium(m string) bool {
	switch m {
	case "email", "e-mail", "e_mail", "e mail", "newsletter":
		return true
	}
	return false
}

func isSocialMedium(m string) bool {
	return strings.HasPrefix(m, "social") || m == "sm"
}
