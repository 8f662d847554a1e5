package groundtruth_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/tools/generate"
)

// TestReadMatchesSummary reads the truth of a small sample and checks it
// against the generator's own summary: every record, every outcome.
func TestReadMatchesSummary(t *testing.T) {
	dir := t.TempDir()
	if err := groundtruth.Generate(dir, "--seed", "2", "--events", "1500"); err != nil {
		t.Fatal(err)
	}
	truth, err := groundtruth.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "truth_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum generate.Summary
	if err := json.Unmarshal(js, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Seed != 2 || len(truth) != sum.Records {
		t.Errorf("read %d records of a seed %d sample, its summary says %d of seed 2", len(truth), sum.Seed, sum.Records)
	}
	outcomes := map[string]int{}
	keys := map[string]bool{}
	for _, r := range truth {
		outcomes[r.Outcome]++
		keys[r.Key()] = true
	}
	for o, n := range sum.Outcomes {
		if outcomes[o] != n {
			t.Errorf("%d %s records read, the summary says %d", outcomes[o], o, n)
		}
	}
	if len(keys) != len(truth) {
		t.Errorf("%d distinct keys for %d records", len(keys), len(truth))
	}
}

// TestReadScripted reads the scripted windows and the search truth of a
// small sample and checks them against the flags and the records.
func TestReadScripted(t *testing.T) {
	dir := t.TempDir()
	if err := groundtruth.Generate(dir, "--seed", "2", "--events", "3000", "--flat", "10:00+120", "--spike", "11:00+10", "--spike_factor", "2", "--outage", "11:30+15"); err != nil {
		t.Fatal(err)
	}
	a, err := groundtruth.ReadAnomalies(dir)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if a.Flat == nil || !a.Flat.Start.Equal(day.Add(10*time.Hour)) || !a.Flat.End.Equal(day.Add(12*time.Hour)) ||
		a.Spike == nil || !a.Spike.Start.Equal(day.Add(11*time.Hour)) || a.SpikeFactor != 2 || a.SpikeVisitsEnd == nil ||
		a.Outage == nil || !a.Outage.End.Equal(day.Add(11*time.Hour+45*time.Minute)) {
		t.Errorf("truth_anomalies.json read as %+v", a)
	}
	searches, err := groundtruth.ReadSearches(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, s := range searches {
		n += s.Searches
	}
	var want int
	err = groundtruth.Each(dir, func(r groundtruth.Record) error {
		if r.Outcome == "event" && r.Type == "search" {
			want++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != want || n == 0 {
		t.Errorf("truth_searches.jsonl counts %d searches, the truth has %d accepted", n, want)
	}
}

func TestGenerateRejectsBadFlags(t *testing.T) {
	if err := groundtruth.Generate(t.TempDir(), "--events", "0"); err == nil {
		t.Error("--events 0 accepted")
	}
	if _, err := groundtruth.Read(t.TempDir()); err == nil {
		t.Error("read a truth from an empty directory")
	}
}

// TestImports checks that the truth is independent of the code under test:
// the generator and this package depend on no other package of the module.
func TestImports(t *testing.T) {
	const module = "github.com/example/clickstream/"
	allowed := map[string]bool{module + "tools/generate": true, module + "internal/groundtruth": true}
	out, err := exec.Command("go", "list", "-deps", module+"internal/groundtruth").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		if strings.HasPrefix(d, module) && !allowed[d] {
			t.Errorf("the ground truth depends on %s", d)
		}
	}
	if len(deps) < 10 || !strings.Contains(string(out), module+"tools/generate\n") {
		t.Fatalf("go list -deps printed an unexpected list:\n%s", out)
	}
}
