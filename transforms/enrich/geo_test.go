package enrich

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/example/clickstream/internal/gcstest"
)

// writeGeoDB writes a MaxMind DB file laid out like @ip-location-db's
// (country_code, state1, city) with the given networks, and returns its path.
func writeGeoDB(t *testing.T, ipVersion int, networks map[string][3]string) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "test-city", IPVersion: ipVersion, RecordSize: 24,
		DisableIPv4Aliasing: ipVersion == 6, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range networks {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, mmdbtype.Map{"country_code": mmdbtype.String(rec[0]), "state1": mmdbtype.String(rec[1]),
			"state2": mmdbtype.String(""), "city": mmdbtype.String(rec[2])}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "geo.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// testGeoDB is an IPv4 and an IPv6 database, as --geo_db takes them. It
// knows single addresses, so a lookup of a truncated address finds nothing.
func testGeoDB(t *testing.T) string {
	v4 := writeGeoDB(t, 4, map[string][3]string{
		"198.51.100.23/32": {"DE", "Bavaria", "Munich"},
		"198.51.100.7/32":  {"DE", "Bavaria", "Munich"},
		"192.0.2.1/32":     {"nz", "Auckland", "Auckland"},
		"203.0.113.5/32":   {"XX", "", ""},
	})
	v6 := writeGeoDB(t, 6, map[string][3]string{"2001:db8:1234:5678::9/128": {"BR", "São Paulo", "São Paulo"}})
	return v4 + " , " + v6
}

func TestGeoDBLookup(t *testing.T) {
	db, err := OpenGeoDB(context.Background(), testGeoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want Geo
	}{
		{"198.51.100.23", Geo{"DE", "Bavaria", "Munich", "EU"}},
		{" 192.0.2.1 ", Geo{"NZ", "Auckland", "Auckland", "OC"}},
		{"::ffff:198.51.100.7", Geo{"DE", "Bavaria", "Munich", "EU"}},
		{"2001:db8:1234:5678::9", Geo{"BR", "São Paulo", "São Paulo", "SA"}},
		{"203.0.113.5", Geo{Country: "XX"}},
		{"2001:db8:1234::", Geo{}},
		{"198.51.100.0", Geo{}},
		{"8.8.8.8", Geo{}},
		{"not-an-ip", Geo{}},
		{"", Geo{}},
	}
	for _, tt := range tests {
		if got := db.Lookup(tt.ip); got != tt.want {
			t.Errorf("Lookup(%q) = %+v, want %+v", tt.ip, got, tt.want)
		}
	}
}

func TestOpenGeoDBErrors(t *testing.T) {
	notDB := filepath.Join(t.TempDir(), "not.mmdb")
	if err := os.WriteFile(notDB, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{filepath.Join(t.TempDir(), "missing.mmdb"), notDB} {
		if _, err := OpenGeoDB(context.Background(), spec); err == nil {
			t.Errorf("OpenGeoDB(%q) succeeded", spec)
		}
	}
}

func TestContinentsCoverISO(t *testing.T) {
	m := continentOf()
	if len(m) != 250 {
		t.Errorf("data/continents.txt has %d countries, want 250 (ISO 3166-1 plus XK)", len(m))
	}
	for c, want := range map[string]string{"DE": "EU", "US": "NA", "BR": "SA", "JP": "AS", "AU": "OC", "NG": "AF", "AQ": "AN", "RU": "EU", "TR": "AS"} {
		if m[c] != want {
			t.Errorf("continent of %s = %q, want %q", c, m[c], want)
		}
	}
}

// TestOpenGeoDBFromGCS reads the databases through gs:// URLs, as Dataflow
// workers do from the staging bucket, from fake-gcs-server in process.
func TestOpenGeoDBFromGCS(t *testing.T) {
	server := gcstest.Serve(t, "staging")
	var urls []string
	for i, path := range strings.Split(testGeoDB(t), ",") {
		b, err := os.ReadFile(strings.TrimSpace(path))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("geo/db-%d.mmdb", i)
		server.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "staging", Name: name}, Content: b})
		urls = append(urls, "gs://staging/"+name)
	}
	db, err := OpenGeoDB(context.Background(), strings.Join(urls, ","))
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]string{"198.51.100.23": "DE", "2001:db8:1234:5678::9": "BR"} {
		if got := db.Lookup(ip).Country; got != want {
			t.Errorf("Lookup(%s).Country = %q, want %q", ip, got, want)
		}
	}
	if _, err := OpenGeoDB(context.Background(), "gs://staging/geo/missing.mmdb"); err == nil {
		t.Error("OpenGeoDB of a missing gs:// object succeeded")
	}
}
