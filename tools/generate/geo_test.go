package generate

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestCountryRanges checks the table the generator draws visitors'
// addresses from: public unicast prefixes, no two overlapping, none on the
// bot deny list, and every drawn address inside a range of its country.
func TestCountryRanges(t *testing.T) {
	var all []netip.Prefix
	for _, c := range countryRanges {
		if len(c.country) != 2 || len(c.v4) == 0 || c.weight <= 0 {
			t.Errorf("%+v: want a two-letter country, IPv4 ranges and a weight", c)
		}
		for _, p := range c.all() {
			a := p.Addr()
			if p != p.Masked() || a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsUnspecified() {
				t.Errorf("%s (%s): not a public unicast prefix", p, c.country)
			}
			for _, q := range all {
				if p.Overlaps(q) {
					t.Errorf("%s overlaps %s", p, q)
				}
			}
			for _, d := range denyList {
				if p.Overlaps(netip.MustParsePrefix(d)) {
					t.Errorf("%s overlaps the bot deny list's %s", p, d)
				}
			}
			all = append(all, p)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	countries := map[string]int{}
	for i := range 20000 {
		ip := residentialIP(rng, i%2 == 0)
		c := countryOf(ip)
		if c == "" {
			t.Fatalf("residentialIP gave %s, in no country's range", ip)
		}
		countries[c]++
	}
	if len(countries) != len(countryRanges) {
		t.Errorf("20000 addresses came from %d countries (%v), want all %d", len(countries), countries, len(countryRanges))
	}
	for _, ip := range []string{"203.0.113.7", "3.120.1.1", "not-an-ip"} {
		if c := countryOf(ip); c != "" {
			t.Errorf("countryOf(%s) = %q, want none", ip, c)
		}
	}
}
