// Package groundtruth writes samples with the generator (tools/generate)
// and reads their truth, for tests that check the pipeline against it.
// Like the generator, it imports nothing of the pipeline, so the truth stays
// independent of the code under test (TestImports checks it). Only tests
// import it.
package groundtruth

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/example/clickstream/tools/generate"
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
	// Type is an accepted event's event_type, set by Read and Each. It has
	// neither that name nor that JSON key so that tests can embed Record
	// beside a raw event's struct, whose they are.
	Type string `json:"-"`
	// Properties are the custom fields an accepted event was sent with (a
	// JSON object, keys sorted), absent when none.
	Properties json.RawMessage `json:"properties"`
	// ItemCount is how many line items an accepted event was sent with.
	ItemCount int `json:"item_count"`

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

// Generate writes a sample into dir with the generator's command-line
// flags (e.g. "--seed", "11", "--events", "40000"), in process.
func Generate(dir string, flags ...string) error {
	cfg, err := generate.ParseFlags(append([]string{"--out", dir}, flags...), io.Discard)
	if err != nil {
		return fmt.Errorf("generator flags %q: %w", flags, err)
	}
	_, err = generate.Generate(cfg)
	return err
}

// GenerateShared writes into dir the sample that the end-to-end tests of
// the batch pipeline and of the SQL share: two days from 2026-11-01, about
// 40,000 events, seed 11. Each test package generates it once, in TestMain.
func GenerateShared(dir string) error {
	return Generate(dir, "--seed", "11", "--events", "40000", "--days", "2")
}

// Read returns every record of dir/truth.jsonl.gz.
func Read(dir string) ([]Record, error) {
	var out []Record
	err := Each(dir, func(r Record) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// Each calls fn with every record of dir/truth.jsonl.gz in turn, without
// holding them all (the anomaly stream has near a million), and stops at
// fn's first error.
func Each(dir string, fn func(Record) error) error {
	f, err := os.Open(filepath.Join(dir, "truth.jsonl.gz"))
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("truth: %w", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r struct {
			Record
			EventType string `json:"event_type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("truth line %d: %w", n, err)
		}
		r.Type = r.EventType
		if err := fn(r.Record); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("truth: %w", err)
	}
	return nil
}

// Window is a scripted window of truth_anomalies.json, [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Anomalies is truth_anomalies.json: the scripted windows of a sample made
// with --flat, --spike or --outage (nil when not scripted).
type Anomalies struct {
	Flat        *Window `json:"flat"`
	Spike       *Window `json:"spike"`
	SpikeFactor float64 `json:"spike_factor"`
	// SpikeVisitsEnd is the last event of the visits the spike added:
	// they go on after it.
	SpikeVisitsEnd *time.Time `json:"spike_visits_end"`
	Outage         *Window    `json:"outage"`
}

// ReadAnomalies returns dir/truth_anomalies.json.
func ReadAnomalies(dir string) (Anomalies, error) {
	var a Anomalies
	js, err := os.ReadFile(filepath.Join(dir, "truth_anomalies.json"))
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(js, &a); err != nil {
		return a, fmt.Errorf("truth_anomalies.json: %w", err)
	}
	return a, nil
}

// Search is a line of truth_searches.jsonl: per normalized query (lower
// case, spaces trimmed and collapsed), the accepted search events and how
// many of them had results_count 0.
type Search struct {
	Query       string `json:"query"`
	Searches    int    `json:"searches"`
	ZeroResults int    `json:"zero_results"`
}

// ReadSearches returns dir/truth_searches.jsonl, sorted by query.
func ReadSearches(dir string) ([]Search, error) {
	f, err := os.Open(filepath.Join(dir, "truth_searches.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Search
	dec := json.NewDecoder(f)
	for {
		var s Search
		if err := dec.Decode(&s); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("truth_searches.jsonl: %w", err)
		}
		out = append(out, s)
	}
}

// GeoDB writes IP geolocation databases that agree with the truth: every
// address range of dir's geo_ranges.tsv (the ranges the generator drew
// visitors from) in its country, as MaxMind DB files laid out like
// @ip-location-db's (country_code, state1, city). It writes them into dir
// and returns them as a --geo_db value (IPv4 file, IPv6 file).
func GeoDB(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "geo_ranges.tsv"))
	if err != nil {
		return "", err
	}
	trees := map[int]*mmdbwriter.Tree{}
	for _, v := range []int{4, 6} {
		if trees[v], err = mmdbwriter.New(mmdbwriter.Options{DatabaseType: "truth-geo", IPVersion: v, RecordSize: 24, DisableIPv4Aliasing: v == 6}); err != nil {
			return "", err
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		prefix, country, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		_, network, err := net.ParseCIDR(prefix)
		if err != nil {
			return "", fmt.Errorf("geo_ranges.tsv: %w", err)
		}
		v := 6
		if network.IP.To4() != nil {
			v = 4
		}
		rec := mmdbtype.Map{"country_code": mmdbtype.String(country), "state1": mmdbtype.String(""), "city": mmdbtype.String("")}
		if err := trees[v].Insert(network, rec); err != nil {
			return "", fmt.Errorf("geo_ranges.tsv: %s: %w", prefix, err)
		}
	}
	var paths []string
	for _, v := range []int{4, 6} {
		path := filepath.Join(dir, fmt.Sprintf("truth-geo-ipv%d.mmdb", v))
		if err := writeTree(path, trees[v]); err != nil {
			return "", err
		}
		paths = append(paths, path)
	}
	return strings.Join(paths, ","), nil
}

func writeTree(path string, tree *mmdbwriter.Tree) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
