// Package groundtruth runs the generator (tools/generate) and reads its
// truth file, for tests that check the pipeline against it. Like the
// generator, it imports nothing of the pipeline: the truth stays independent
// of the code under test.
package groundtruth

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Record is one line of truth.jsonl.gz: what the pipeline must do with one
// input record (see tools/generate/README.md).
type Record struct {
	File           string    `json:"file"`
	Line           int64     `json:"line"`
	Index          int64     `json:"index"`
	EventID        string    `json:"event_id"`
	DeviceID       string    `json:"device_id"`
	UserID         *string   `json:"user_id"`
	PersonID       string    `json:"person_id"`
	Outcome        string    `json:"outcome"`
	BotRule        string    `json:"bot_rule"`
	Reason         string    `json:"reason"`
	EventTime      time.Time `json:"event_time"`
	EventDate      string    `json:"event_date"`
	DeadLetterDate string    `json:"dead_letter_date"`
	Session        string    `json:"session"`

	// Geo and traffic truth of an accepted event: the country its address
	// was drawn from ("" for none) and GA4's traffic source, medium,
	// campaign and default channel group for its page URL and referrer.
	GeoCountry          string `json:"geo_country"`
	TrafficSource       string `json:"traffic_source"`
	TrafficMedium       string `json:"traffic_medium"`
	TrafficCampaign     string `json:"traffic_campaign"`
	DefaultChannelGroup string `json:"default_channel_group"`
}

// Key identifies the input record: file (relative to the data directory),
// line and position in the beacon.
func (r Record) Key() string { return fmt.Sprintf("%s:%d:%d", r.File, r.Line, r.Index) }

// Generate builds the generator and writes a sample into dir with the given
// flags (e.g. "--seed", "11", "--events", "40000").
func Generate(t testing.TB, dir string, flags ...string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "generate")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/example/clickstream/tools/generate").CombinedOutput(); err != nil {
		t.Fatalf("build generator: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, append([]string{"--out", dir}, flags...)...).CombinedOutput(); err != nil {
		t.Fatalf("generate: %v\n%s", err, out)
	}
}

// Read returns every record of dir/truth.jsonl.gz.
func Read(t testing.TB, dir string) []Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("truth: %v", err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// GeoDB writes IP geolocation databases that agree with the truth: every
// address range of dir's geo_ranges.tsv (the ranges the generator drew
// visitors from) in its country, as MaxMind DB files laid out like
// @ip-location-db's (country_code, state1, city). It returns them as a
// --geo_db value (IPv4 file, IPv6 file).
func GeoDB(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "geo_ranges.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	trees := map[int]*mmdbwriter.Tree{}
	for _, v := range []int{4, 6} {
		if trees[v], err = mmdbwriter.New(mmdbwriter.Options{DatabaseType: "truth-geo", IPVersion: v, RecordSize: 24, DisableIPv4Aliasing: v == 6}); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		prefix, country, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		_, network, err := net.ParseCIDR(prefix)
		if err != nil {
			t.Fatalf("geo_ranges.tsv: %v", err)
		}
		v := 6
		if network.IP.To4() != nil {
			v = 4
		}
		rec := mmdbtype.Map{"country_code": mmdbtype.String(country), "state1": mmdbtype.String(""), "city": mmdbtype.String("")}
		if err := trees[v].Insert(network, rec); err != nil {
			t.Fatalf("geo_ranges.tsv: %s: %v", prefix, err)
		}
	}
	var paths []string
	for _, v := range []int{4, 6} {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("truth-geo-ipv%d.mmdb", v))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := trees[v].WriteTo(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return strings.Join(paths, ",")
}
