package generate

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// scripted has flat traffic from 10:00 to 12:00, a x3 spike at 11:00-11:10
// and a checkout outage at 11:30-11:45.
func scripted(t *testing.T) *dataset {
	return load(t, "scripted", func(c *Config) {
		c.Events, c.Seed = 40000, 5
		c.Flat = Window{From: 10 * time.Hour, Length: 2 * time.Hour}
		c.Spike, c.SpikeFactor = Window{From: 11 * time.Hour, Length: 10 * time.Minute}, 3
		c.Outage = Window{From: 11*time.Hour + 30*time.Minute, Length: 15 * time.Minute}
	})
}

// TestScripted checks the scripted windows against the reference reader's
// accepted events: no purchase in the outage while checkouts go on, about
// three times the events in the spike as in the ten minutes before it, and
// truth_anomalies.json with the windows asked for.
func TestScripted(t *testing.T) {
	d := scripted(t)
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	count := func(from, to time.Duration, typ string) int {
		n := 0
		for _, tr := range d.truth {
			r := d.byKey[tr.key()]
			at := r.eventTime.Sub(day)
			if tr.Outcome == "event" && at >= from && at < to && (typ == "" || r.eventType == typ) {
				n++
			}
		}
		return n
	}
	outFrom, outTo := 11*time.Hour+30*time.Minute, 11*time.Hour+45*time.Minute
	if n := count(outFrom, outTo, "purchase"); n != 0 {
		t.Errorf("%d purchases in the outage", n)
	}
	if n, before := count(outFrom, outTo, "checkout_start"), count(outFrom-15*time.Minute, outFrom, "checkout_start"); n == 0 || n < before/2 {
		t.Errorf("%d checkouts started in the outage, %d in the 15 minutes before", n, before)
	}
	if n := count(outFrom-15*time.Minute, outFrom, "purchase"); n == 0 {
		t.Error("no purchase before the outage")
	}
	spike, before := count(11*time.Hour, 11*time.Hour+10*time.Minute, ""), count(10*time.Hour+50*time.Minute, 11*time.Hour, "")
	if ratio := float64(spike) / float64(before); ratio < 2.7 || ratio > 3.3 {
		t.Errorf("spike: %d accepted events, %d in the 10 minutes before: x%.2f, want about x3", spike, before, ratio)
	}
	js, err := os.ReadFile(filepath.Join(d.dir, "truth_anomalies.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth anomalyTruth
	if err := json.Unmarshal(js, &truth); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		got      *scriptedWindow
		from, to time.Duration
	}{
		{"flat", truth.Flat, 10 * time.Hour, 12 * time.Hour},
		{"spike", truth.Spike, 11 * time.Hour, 11*time.Hour + 10*time.Minute},
		{"outage", truth.Outage, outFrom, outTo},
	} {
		if c.got == nil || !c.got.Start.Equal(day.Add(c.from)) || !c.got.End.Equal(day.Add(c.to)) {
			t.Errorf("%s: %+v, want %v-%v", c.name, c.got, day.Add(c.from), day.Add(c.to))
		}
	}
	if truth.SpikeVisitsEnd == nil || truth.SpikeVisitsEnd.Before(day.Add(11*time.Hour+10*time.Minute)) {
		t.Errorf("spike_visits_end %v, want after the spike", truth.SpikeVisitsEnd)
	}
}

// TestSearchTruth checks truth_searches.jsonl against the reference
// reader: per query, the accepted search events and those whose
// results_count is 0; about 8 % of searches have no result.
func TestSearchTruth(t *testing.T) {
	d := defaults(t)
	type counts struct{ searches, zero int }
	want := map[string]counts{}
	for _, tr := range d.truth {
		r := d.byKey[tr.key()]
		if tr.Outcome != "event" || r.eventType != "search" {
			continue
		}
		c := want[r.searchQuery]
		c.searches++
		if r.resultsCount != nil && *r.resultsCount == 0 {
			c.zero++
		}
		if r.resultsCount == nil {
			t.Fatalf("%v: search without results_count", tr.key())
		}
		want[r.searchQuery] = c
	}
	fh, err := os.Open(filepath.Join(d.dir, "truth_searches.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	got := map[string]counts{}
	var searches, zero int
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var s searchTruth
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		got[s.Query] = counts{s.Searches, s.ZeroResults}
		searches, zero = searches+s.Searches, zero+s.ZeroResults
	}
	if len(got) != len(want) {
		t.Errorf("%d queries in the truth, reader has %d", len(got), len(want))
	}
	for q, c := range want {
		if got[q] != c {
			t.Errorf("query %q: truth %+v, reader %+v", q, got[q], c)
		}
	}
	if share := float64(zero) / float64(searches); share < 0.06 || share > 0.10 {
		t.Errorf("%d of %d searches without result (%.1f %%), want about 8 %%", zero, searches, 100*share)
	}
	t.Logf("%d searches, %d without result (%.1f %%), %d queries", searches, zero, 100*float64(zero)/float64(searches), len(got))
}
