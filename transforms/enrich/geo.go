package enrich

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/internal/readfile"
)

// maxGeoDBBytes bounds a database file read into memory (DB-IP's city lite
// databases are about 70 MB each).
const maxGeoDBBytes = 1 << 30

//go:embed data/continents.txt
var continentsTxt string

// continentOf maps an ISO 3166-1 alpha-2 country code to its continent code.
var continentOf = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(continentsTxt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		continent, countries, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		for _, c := range strings.Fields(countries) {
			m[c] = continent
		}
	}
	return m
})

// Geo is where an IP address is, by the geolocation database; a field the
// database does not know is "".
type Geo struct {
	// Country is the ISO 3166-1 alpha-2 code (upper case).
	Country string
	// Region is the first-level subdivision's English name (a state, a
	// German Land, an English country).
	Region string
	// City is the city's English name.
	City string
	// Continent is the continent code of Country (AF, AN, AS, EU, NA, OC,
	// SA).
	Continent string
}

// geoRecord is a record of the @ip-location-db *-mmdb databases.
type geoRecord struct {
	CountryCode string `maxminddb:"country_code"`
	State1      string `maxminddb:"state1"`
	City        string `maxminddb:"city"`
}

// GeoDB looks IP addresses up in MaxMind DB files laid out like the
// @ip-location-db city and country databases (country_code, state1, city).
// It is safe for concurrent use.
type GeoDB struct {
	v4, v6 []*maxminddb.Reader
}

// geoDBs holds the databases opened in this process, by --geo_db value: the
// files are large, and every DoFn instance of a worker shares them.
var geoDBs = struct {
	sync.Mutex
	m map[string]func() (*GeoDB, error)
}{m: map[string]func() (*GeoDB, error){}}

// OpenGeoDB reads the databases spec names, comma-separated local paths or
// gs:// URLs (DB-IP publishes IPv4 and IPv6 as two files), through Beam's
// filesystems into memory. Each spec is read once per process; later calls
// share the result.
func OpenGeoDB(ctx context.Context, spec string) (*GeoDB, error) {
	geoDBs.Lock()
	open, ok := geoDBs.m[spec]
	if !ok {
		open = sync.OnceValues(func() (*GeoDB, error) { return readGeoDB(context.WithoutCancel(ctx), spec) })
		geoDBs.m[spec] = open
	}
	geoDBs.Unlock()
	return open()
}

func readGeoDB(ctx context.Context, spec string) (*GeoDB, error) {
	g := &GeoDB{}
	for _, path := range geoPaths(spec) {
		b, err := readfile.All(ctx, path, maxGeoDBBytes)
		if err != nil {
			return nil, fmt.Errorf("enrich: geo database: %w", err)
		}
		r, err := maxminddb.OpenBytes(b)
		if err != nil {
			return nil, fmt.Errorf("enrich: geo database %s: %w", path, err)
		}
		if r.Metadata.IPVersion == 6 {
			g.v6 = append(g.v6, r)
		} else {
			g.v4 = append(g.v4, r)
		}
	}
	return g, nil
}

// geoPaths splits a --geo_db value into its paths.
func geoPaths(spec string) []string {
	var paths []string
	for p := range strings.SplitSeq(spec, ",") {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// Lookup returns where ip is: the first database of its IP version that
// knows it decides. An address no database knows, or a string that is not
// an address, gives the zero Geo; so does a record the database cannot
// decode (a layout other than @ip-location-db's).
func (g *GeoDB) Lookup(ip string) Geo {
	a, ok := pseudonym.CanonicalIP(ip)
	if !ok {
		return Geo{}
	}
	dbs := g.v4
	if a.Is6() {
		dbs = g.v6
	}
	for _, db := range dbs {
		if geo, ok := lookupIn(db, a); ok {
			return geo
		}
	}
	return Geo{}
}

func lookupIn(db *maxminddb.Reader, a netip.Addr) (Geo, bool) {
	var rec geoRecord
	res := db.Lookup(a)
	if !res.Found() || res.Decode(&rec) != nil || rec.CountryCode == "" {
		return Geo{}, false
	}
	country := strings.ToUpper(rec.CountryCode)
	return Geo{Country: country, Region: rec.State1, City: rec.City, Continent: continentOf()[country]}, true
}
