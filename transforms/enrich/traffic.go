package enrich

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Values of traffic_source, traffic_medium and traffic_campaign that GA4
// uses for traffic without campaign tags.
const (
	SourceDirect     = "(direct)"
	MediumNone       = "(none)"
	MediumOrganic    = "organic"
	MediumReferral   = "referral"
	MediumCPC        = "cpc"
	NotSet           = "(not set)"
	CampaignDirect   = "(direct)"
	CampaignOrganic  = "(organic)"
	CampaignReferral = "(referral)"
)

// Default channel groups (default_channel_group), GA4's names.
const (
	ChannelDirect          = "Direct"
	ChannelCrossNetwork    = "Cross-network"
	ChannelPaidShopping    = "Paid Shopping"
	ChannelPaidSearch      = "Paid Search"
	ChannelPaidSocial      = "Paid Social"
	ChannelPaidVideo       = "Paid Video"
	ChannelDisplay         = "Display"
	ChannelPaidOther       = "Paid Other"
	ChannelOrganicShopping = "Organic Shopping"
	ChannelOrganicSocial   = "Organic Social"
	ChannelOrganicVideo    = "Organic Video"
	ChannelOrganicSearch   = "Organic Search"
	ChannelReferral        = "Referral"
	ChannelEmail           = "Email"
	ChannelAffiliates      = "Affiliates"
	ChannelAudio           = "Audio"
	ChannelSMS             = "SMS"
	ChannelMobilePush      = "Mobile Push Notifications"
	ChannelUnassigned      = "Unassigned"
)

// Traffic is where a visit came from, as GA4 names it.
type Traffic struct {
	Source       string `json:"source"`
	Medium       string `json:"medium"`
	Campaign     string `json:"campaign"`
	ChannelGroup string `json:"default_channel_group"`
}

//go:embed data/sources.json
var sourcesJSON []byte

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

// sourceCategory is a category of data/sources.json, or none.
type sourceCategory int

const (
	noCategory sourceCategory = iota
	searchCategory
	socialCategory
	videoCategory
	shoppingCategory
)

// sourceEntry is what an entry of data/sources.json names: its source's
// category and name.
type sourceEntry struct {
	category sourceCategory
	name     string
}

// sourceIndex holds the entries of data/sources.json, all categories in one.
type sourceIndex struct {
	hosts  map[string]sourceEntry // "facebook.com": the host and its subdomains
	brands map[string]sourceEntry // "google" (from "google.*"): brand.<suffix>
	names  map[string]sourceEntry // every entry and source name, lower-case
}

var loadSourceIndex = sync.OnceValues(func() (*sourceIndex, error) {
	var raw struct {
		Search   map[string][]string `json:"search"`
		Social   map[string][]string `json:"social"`
		Video    map[string][]string `json:"video"`
		Shopping map[string][]string `json:"shopping"`
	}
	if err := json.Unmarshal(sourcesJSON, &raw); err != nil {
		return nil, fmt.Errorf("enrich: data/sources.json: %w", err)
	}
	x := &sourceIndex{hosts: map[string]sourceEntry{}, brands: map[string]sourceEntry{}, names: map[string]sourceEntry{}}
	for i, sources := range []map[string][]string{raw.Search, raw.Social, raw.Video, raw.Shopping} {
		if err := x.add(sourceCategory(i+1), sources); err != nil {
			return nil, fmt.Errorf("enrich: data/sources.json: %w", err)
		}
	}
	return x, nil
})

// add indexes the sources of a category. An entry already indexed by an
// earlier category keeps it: ties go to search, social, video, shopping.
func (x *sourceIndex) add(cat sourceCategory, sources map[string][]string) error {
	put := func(m map[string]sourceEntry, key, name string) {
		if _, ok := m[key]; !ok {
			m[key] = sourceEntry{cat, name}
		}
	}
	for name, entries := range sources {
		put(x.names, strings.ToLower(name), name)
		for _, e := range entries {
			e = strings.ToLower(strings.TrimSpace(e))
			switch {
			case strings.HasSuffix(e, ".*") && !strings.Contains(e[:len(e)-2], "."):
				put(x.brands, e[:len(e)-2], name)
			case e == "" || strings.ContainsAny(e, "*/: "):
				return fmt.Errorf("bad entry %q of source %q", e, name)
			case strings.Contains(e, "."):
				put(x.hosts, e, name)
			}
			put(x.names, e, name)
		}
	}
	return nil
}

// categoryOf returns the category of s (a referrer host or a
// traffic_source, lower-case) and the name of its source. A host entry
// matches the host and its subdomains, a brand.* entry brand.<suffix> with
// or without www. or m. (google.co.uk, not docs.google.com), and every
// entry and source name matches itself. The most specific match wins, the
// one covering most of s: blog.naver.com (social) beats naver.com
// (search).
func (x *sourceIndex) categoryOf(s string) (sourceCategory, string) {
	var best sourceEntry
	matched := 0
	for h := s; ; {
		if e, ok := x.hosts[h]; ok {
			best, matched = e, len(h)
			break
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	h := s
	if rest, ok := strings.CutPrefix(h, "www."); ok {
		h = rest
	} else if rest, ok := strings.CutPrefix(h, "m."); ok {
		h = rest
	}
	if brand, suffix, ok := strings.Cut(h, "."); ok && len(h) > matched && plausibleSuffix(suffix) {
		if e, ok := x.brands[brand]; ok {
			best, matched = e, len(h)
		}
	}
	if matched < len(s) {
		if e, ok := x.names[s]; ok {
			best = e
		}
	}
	return best.category, best.name
}

// Classifier tells where a visit came from (see the package documentation
// for the rules and their precedence). It is safe for concurrent use.
type Classifier struct {
	internal []string
	sources  *sourceIndex
}

// NewClassifier returns a Classifier for which internalDomains (and their
// subdomains) are the site's own, besides the page's host.
func NewClassifier(internalDomains []string) (*Classifier, error) {
	sources, err := loadSourceIndex()
	if err != nil {
		return nil, err
	}
	c := &Classifier{sources: sources}
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
// "Example.COM"; an internationalized name is compared in punycode, as
// hosts are (browserHost).
func normalizeDomain(d string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(d))
	n = strings.TrimPrefix(strings.TrimPrefix(n, "*"), ".")
	n = strings.TrimSuffix(n, ".")
	if n == "" || strings.ContainsAny(n, "/:*@ ") {
		return "", fmt.Errorf("enrich: bad internal domain %q: want a host name like example.com", d)
	}
	return browserHost(n), nil
}

// Classify returns the referrer's host and the visit's traffic source,
// medium, campaign and default channel group: from the page's UTM tags,
// else its click ids, else the referrer.
func (c *Classifier) Classify(page Page, referrer string) (referrerHost string, t Traffic) {
	referrerHost, _ = splitHost(referrer)
	t = c.sourceMedium(page, referrerHost)
	t.ChannelGroup = c.channelGroup(t)
	return referrerHost, t
}

func (c *Classifier) sourceMedium(page Page, referrerHost string) Traffic {
	switch {
	case page.UTMSource != "" || page.UTMMedium != "" || page.UTMCampaign != "":
		return Traffic{Source: orNotSet(page.UTMSource), Medium: orNotSet(page.UTMMedium), Campaign: orNotSet(page.UTMCampaign)}
	case page.GCLID != "" || page.OtherClickID:
		return Traffic{Source: "google", Medium: MediumCPC, Campaign: NotSet}
	case page.MSCLKID != "":
		return Traffic{Source: "bing", Medium: MediumCPC, Campaign: NotSet}
	case referrerHost == "" || c.isInternal(referrerHost, page.Host):
		return Traffic{Source: SourceDirect, Medium: MediumNone, Campaign: CampaignDirect}
	}
	switch cat, name := c.sources.categoryOf(referrerHost); cat {
	case searchCategory:
		return Traffic{Source: name, Medium: MediumOrganic, Campaign: CampaignOrganic}
	case noCategory:
		return Traffic{Source: strings.TrimPrefix(referrerHost, "www."), Medium: MediumReferral, Campaign: CampaignReferral}
	default:
		return Traffic{Source: name, Medium: MediumReferral, Campaign: CampaignReferral}
	}
}

func orNotSet(s string) string {
	if s == "" {
		return NotSet
	}
	return s
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

// GA4's patterns for a paid medium and a shopping campaign. isPaid and
// isShopping run them only when the text holds a word they need, which
// most text does not: a regexp per event cost a tenth of enrichment.
var (
	paidMedium       = regexp.MustCompile(`^(.*cp.*|ppc|retargeting|paid.*)$`)
	shoppingCampaign = regexp.MustCompile(`^(.*(([^a-df-z]|^)shop|shopping).*)$`)
)

func isPaid(medium string) bool {
	return (strings.Contains(medium, "cp") || strings.Contains(medium, "ppc") ||
		strings.Contains(medium, "retargeting") || strings.Contains(medium, "paid")) &&
		paidMedium.MatchString(medium)
}

func isShopping(campaign string) bool {
	return strings.Contains(campaign, "shop") && shoppingCampaign.MatchString(campaign)
}

// channelGroup applies GA4's default channel group rules in GA4's order;
// source, medium and campaign compare case-insensitively.
func (c *Classifier) channelGroup(t Traffic) string {
	source, medium, campaign := strings.ToLower(t.Source), strings.ToLower(t.Medium), strings.ToLower(t.Campaign)
	cat, _ := c.sources.categoryOf(source)
	paid := isPaid(medium)
	shopping := cat == shoppingCategory || isShopping(campaign)
	switch {
	case source == SourceDirect && (medium == MediumNone || medium == strings.ToLower(NotSet)):
		return ChannelDirect
	case strings.Contains(campaign, "cross-network"):
		return ChannelCrossNetwork
	case shopping && paid:
		return ChannelPaidShopping
	case paid && cat == searchCategory:
		return ChannelPaidSearch
	case paid && cat == socialCategory:
		return ChannelPaidSocial
	case paid && cat == videoCategory:
		return ChannelPaidVideo
	case oneOf(medium, "display", "banner", "expandable", "interstitial", "cpm"):
		return ChannelDisplay
	case paid:
		return ChannelPaidOther
	case shopping:
		return ChannelOrganicShopping
	case cat == socialCategory || oneOf(medium, "social", "social-network", "social-media", "sm", "social network", "social media"):
		return ChannelOrganicSocial
	case cat == videoCategory || strings.Contains(medium, "video"):
		return ChannelOrganicVideo
	case cat == searchCategory || medium == MediumOrganic:
		return ChannelOrganicSearch
	case oneOf(medium, MediumReferral, "app", "link"):
		return ChannelReferral
	case oneOf(source, "email", "e-mail", "e_mail", "e mail") || oneOf(medium, "email", "e-mail", "e_mail", "e mail"):
		return ChannelEmail
	case medium == "affiliate":
		return ChannelAffiliates
	case medium == "audio":
		return ChannelAudio
	case source == "sms" || medium == "sms":
		return ChannelSMS
	case strings.HasSuffix(medium, "push") || strings.Contains(medium, "mobile") || strings.Contains(medium, "notification") || source == "firebase":
		return ChannelMobilePush
	}
	return ChannelUnassigned
}

func oneOf(s string, values ...string) bool {
	for _, v := range values {
		if s == v {
			return true
		}
	}
	return false
}
