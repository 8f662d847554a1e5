package enrich

import (
	"context"
	"fmt"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/schemas"
)

// Enricher enriches single events. It is safe for concurrent use.
type Enricher struct {
	classifier *Classifier
	ua         *UAParser
	// geo locates IP addresses; nil without a database.
	geo *GeoDB
	// ip replaces Event.IP; nil keeps the canonical address (raw mode).
	ip func(string) string
}

// NewEnricher builds an Enricher; in hash mode it loads the key that
// opts.HashKeyRef references, and it opens the geolocation databases that
// opts.GeoDB names (see OpenGeoDB).
func NewEnricher(ctx context.Context, opts Options) (*Enricher, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	c, err := NewClassifier(opts.InternalDomains)
	if err != nil {
		return nil, err
	}
	ua, err := NewUAParser(opts.cacheSize())
	if err != nil {
		return nil, err
	}
	e := &Enricher{classifier: c, ua: ua}
	if opts.GeoDB != "" {
		if e.geo, err = OpenGeoDB(ctx, opts.GeoDB); err != nil {
			return nil, err
		}
	}
	switch mode, _ := pseudonym.ParseIPMode(opts.IPMode); mode {
	case pseudonym.IPHash:
		key, err := pseudonym.LoadKey(opts.HashKeyRef)
		if err != nil {
			return nil, fmt.Errorf("enrich: %w", err)
		}
		p, err := pseudonym.New(key, pseudonym.IPHash)
		if err != nil {
			return nil, fmt.Errorf("enrich: %w", err)
		}
		e.ip = p.IP
	case pseudonym.IPRaw:
		e.ip = canonicalIP
	default:
		e.ip = pseudonym.TruncateIP
	}
	return e, nil
}

func canonicalIP(ip string) string {
	a, ok := pseudonym.CanonicalIP(ip)
	if !ok {
		return ""
	}
	return a.String()
}

// Apply fills e's page, campaign, traffic source, referrer, device and geo
// fields, cuts PageURL and Referrer to MaxURLBytes and replaces IP according
// to the IP mode (after the geo lookup). It reports whether a non-empty IP
// was dropped for not being an address.
func (en *Enricher) Apply(e *schemas.Event) (ipDropped bool) {
	page := ParsePage(e.PageURL)
	e.PageHost, e.PagePath, e.PageQuery = page.Host, page.Path, page.Query
	e.PageKey = PageKey(page.Host, page.Path)
	e.UTMSource, e.UTMMedium, e.UTMCampaign = page.UTMSource, page.UTMMedium, page.UTMCampaign
	e.UTMTerm, e.UTMContent = page.UTMTerm, page.UTMContent
	e.GCLID, e.MSCLKID, e.FBCLID = page.GCLID, page.MSCLKID, page.FBCLID
	var t Traffic
	e.ReferrerHost, t = en.classifier.Classify(page, e.Referrer)
	e.TrafficSource, e.TrafficMedium = cut(t.Source), cut(t.Medium)
	e.TrafficCampaign, e.DefaultChannelGroup = cut(t.Campaign), t.ChannelGroup

	d := en.ua.Parse(e.UserAgent)
	e.DeviceType, e.Browser, e.BrowserVersion, e.OS, e.OSVersion = d.Type, d.Browser, d.BrowserVersion, d.OS, d.OSVersion

	e.PageURL, e.Referrer = cut(e.PageURL), cut(e.Referrer)
	if en.geo != nil {
		g := en.geo.Lookup(e.IP)
		e.GeoCountry, e.GeoRegion, e.GeoCity, e.GeoContinent = g.Country, g.Region, g.City, g.Continent
	}
	if e.IP != "" {
		e.IP = en.ip(e.IP)
		ipDropped = e.IP == ""
	}
	return ipDropped
}
