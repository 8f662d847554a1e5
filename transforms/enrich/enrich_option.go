package enrich

import (
	"fmt"
	"strings"

	"github.com/example/clickstream/internal/pseudonym"
)

// DefaultUACacheSize is the number of distinct user agents whose parse an
// Enricher remembers when Options.UACacheSize is 0 (about 3 MB).
const DefaultUACacheSize = 10_000

// Options configures Enrich. Only the key's reference travels with the job;
// each worker loads the key when its DoFn is set up.
type Options struct {
	// InternalDomains are the site's own domains: a referrer on one of them
	// or a subdomain is internal traffic (besides the page's own host).
	InternalDomains []string
	// IPMode says how Event.IP is replaced: "truncate" (default), "hash" or
	// "raw" (see pseudonym.ParseIPMode). A string, like the flag and the
	// parse package's option it comes from.
	IPMode string
	// HashKeyRef references the HMAC key for hash mode ("env:NAME" or
	// "file:PATH", see pseudonym.LoadKey); other modes ignore it.
	HashKeyRef string
	// UACacheSize bounds the user-agent cache; 0 means DefaultUACacheSize.
	UACacheSize int
	// GeoDB names the geolocation databases: comma-separated local paths or
	// gs:// URLs of MaxMind DB files laid out like @ip-location-db's (see
	// OpenGeoDB). Empty: no lookup, the geo fields stay "" (NULL).
	GeoDB string
}

// Validate checks the options without loading the key.
func (o Options) Validate() error {
	mode, err := pseudonym.ParseIPMode(o.IPMode)
	if err != nil {
		return fmt.Errorf("enrich: %w", err)
	}
	if mode == pseudonym.IPHash {
		scheme, _, _ := strings.Cut(o.HashKeyRef, ":")
		if scheme != "env" && scheme != "file" {
			return fmt.Errorf(`enrich: IP mode hash needs HashKeyRef "env:NAME" or "file:PATH"`)
		}
	}
	if o.UACacheSize < 0 {
		return fmt.Errorf("enrich: UACacheSize is %d, want >= 0 (0: default %d)", o.UACacheSize, DefaultUACacheSize)
	}
	for _, d := range o.InternalDomains {
		if _, err := normalizeDomain(d); err != nil {
			return err
		}
	}
	return nil
}

func (o Options) cacheSize() int {
	if o.UACacheSize == 0 {
		return DefaultUACacheSize
	}
	return o.UACacheSize
}
