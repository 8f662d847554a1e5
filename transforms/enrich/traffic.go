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

// category is one source category of data/sources.json.
type category struct {
	hosts  map[string]string // "facebook.com" -> "facebook": the host and its subdomains
	brands map[string]string // "google" (from "google.*") -> "google"
	names  map[string]bool   // source names and their other names, lower-case
}

func newCategory(sources map[string][]string) (category, error) {
	c := category{hosts: map[string]string{}, brands: map[string]string{}, names: map[string]bool{}}
	for name, entries := range sources {
		c.names[strings.ToLower(name)] = true
		for _, e := range entries {
			e = strings.ToLower(strings.TrimSpace(e))
			switch {
			case strings.HasSuffix(e, ".*") && !strings.Contains(e[:len(e)-2], "."):
				c.brands[e[:len(e)-2]] = name
			case e == "" || strings.ContainsAny(e, "*/: "):
				return c, fmt.Errorf("bad entry %q of source %q", e, name)
			case strings.Contains(e, "."):
				c.hosts[e] = name
			}
			c.names[e] = true
		}
	}
	return c, nil
}

// matchHost returns the name of the source whose pattern matches host.
func (c category) matchHost(host string) (string, bool) {
	for h := host; ; {
		if name, ok := c.hosts[h]; ok {
			return name, true
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
	if name, known := c.brands[brand]; ok && known && plausibleSuffix(suffix) {
		return name, true
	}
	return "", false
}

// matchSource reports whether a traffic_source (lower-case) belongs to the
// category: one of its names, or a host that its patterns match.
func (c category) matchSource(source string) bool {
	if c.names[source] {
		return true
	}
	_, ok := c.matchHost(source)
	return ok
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

type sourceLists struct {
	search, social, video, shopping category
}

var loadSourceLists = sync.OnceValues(func() (*sourceLists, error) {
	var raw struct {
		Search   map[string][]string `json:"search"`
		Social   map[string][]string `json:"social"`
		Video    map[string][]string `json:"video"`
		Shopping map[string][]string `json:"shopping"`
	}
	if err := json.Unmarshal(sourcesJSON, &raw); err != nil {
		return nil, fmt.Errorf("enrich: data/sources.json: %w", err)
	}
	l := &sourceLists{}
	var err error
	for _, x := range []struct {
		dst     *category
		sources map[string][]string
	}{{&l.search, raw.Search}, {&l.social, raw.Social}, {&l.video, raw.Video}, {&l.shopping, raw.Shopping}} {
		if *x.dst, err = newCategory(x.sources); err != nil {
			return nil, fmt.Errorf("enrich: data/sources.json: %w", err)
		}
	}
	return l, nil
})

// Classifier tells where a visit came from (see the package documentation
// for the rules and their precedence). It is safe for concurrent use.
type Classifier struct {
	internal []string
	lists    *sourceLists
}

// NewClassifier returns a Classifier for which internalDomains (and their
// subdomains) are the site's own, besides the page's host.
func NewClassifier(internalDomains []string) (*Classifier, error) {
	lists, err := loadSourceLists()
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
	if name, ok := c.lists.search.matchHost(referrerHost); ok {
		return Traffic{Source: name, Medium: MediumOrganic, Campaign: CampaignOrganic}
	}
	for _, cat := range []category{c.lists.social, c.lists.video, c.lists.shopping} {
		if name, ok := cat.matchHost(referrerHost); ok {
			return Traffic{Source: name, Medium: MediumReferral, Campaign: CampaignReferral}
		}
	}
	return Traffic{Source: strings.TrimPrefix(referrerHost, "www."), Medium: MediumReferral, Campaign: CampaignReferral}
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
	l := c.lists
	paid := isPaid(medium)
	shopping := l.shopping.matchSource(source) || isShopping(campaign)
	switch {
	case source == SourceDirect && (medium == MediumNone || medium == strings.ToLower(NotSet)):
		return ChannelDirect
	case strings.Contains(campaign, "cross-network"):
		return ChannelCrossNetwork
	case shopping && paid:
		return ChannelPaidShopping
	case paid && l.search.matchSource(source):
		return ChannelPaidSearch
	case paid && l.social.matchSource(source):
		return ChannelPaidSocial
	case paid && l.video.matchSource(source):
		return ChannelPaidVideo
	case oneOf(medium, "display", "banner", "expandable", "interstitial", "cpm"):
		return ChannelDisplay
	case paid:
		return ChannelPaidOther
	case shopping:
		return ChannelOrganicShopping
	case l.social.matchSource(source) || oneOf(medium, "social", "social-network", "social-media", "sm", "social network", "social media"):
		return ChannelOrganicSocial
	case l.video.matchSource(source) || strings.Contains(medium, "video"):
		return ChannelOrganicVideo
	case l.search.matchSource(source) || medium == MediumOrganic:
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
