package enrich

import (
	"fmt"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/schemas"
)

// Enricher enriches single events, without Beam: it is what Enrich's DoFn
// runs per element. It is safe for concurrent use.
type Enricher struct {
	classifier *Classifier
	ua         *UAParser
	// ip replaces Event.IP; nil keeps the canonical address (raw mode).
	ip func(string) string
}

// NewEnricher builds an Enricher; in hash mode it loads the key that
// opts.HashKeyRef references.
func NewEnricher(opts Options) (*Enricher, error) {
	if err := opts.validate(); err != nil {
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

// Apply fills e's page, campaign, referrer and device fields, cuts PageURL
// and Referrer to MaxURLBytes and replaces IP according to the IP mode. It
// reports whether a non-empty IP was dropped for not being an address.
func (en *Enricher) Apply(e *schemas.Event) (ipDropped bool) {
	page := ParsePage(e.PageURL)
	e.PageHost, e.PagePath, e.PageQuery = page.Host, page.Path, page.Query
	e.PageKey = PageKey(page.Host, page.Path)
	e.UTMSource, e.UTMMedium, e.UTMCampaign = page.UTMSource, page.UTMMedium, page.UTMCampaign
	e.UTMTerm, e.UTMContent = page.UTMTerm, page.UTMContent
	e.GCLID, e.MSCLKID, e.FBCLID = page.GCLID, page.MSCLKID, page.FBCLID
	e.ReferrerHost, e.TrafficClass = en.classifier.Classify(page, e.Referrer)

	d := en.ua.Parse(e.UserAgent)
	e.DeviceType, e.Browser, e.BrowserVersion, e.OS, e.OSVersion = d.Type, d.Browser, d.BrowserVersion, d.OS, d.OSVersion

	e.PageURL, e.Referrer = cut(e.PageURL), cut(e.Referrer)
	if e.IP != "" {
		e.IP = en.ip(e.IP)
		ipDropped = e.IP == ""
	}
	return ipDropped
}
