package pipelines

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/schemas"
)

// A seeded random sequence of daily runs of the pipeline on generated data in
// steady state (returning visitors who log in on later days): daily runs in
// date order, one date held back and backfilled out of order at the end,
// one date first run with its own day's files only and re-run later with
// the late files (other facts: events added, so logins and sessions too),
// and a re-run of unchanged input. After every run, the incrementally
// maintained dimensions and every fact_sessions row (resolved_user_key
// included) equal, row for row, what the dimension step gives with
// --rebuild_dimensions on a copy of the warehouse; the last run is itself a
// --rebuild_dimensions run, which changes nothing.
func TestIncrementalRunsEqualRebuild(t *testing.T) {
	const days = 5
	data := t.TempDir()
	generateSample(t, data, "--seed", "17", "--events", "8000", "--days", fmt.Sprint(days),
		"--history_days", "10", "--lifetime_days", "5")
	t.Setenv("CLICKSTREAM_INCREMENTAL_KEY", "incremental-test-key")
	// A fixed seed, so that every run of the test checks the same
	// sequence; CLICKSTREAM_SEQUENCE_SEED explores another.
	seed := uint64(17)
	if s := os.Getenv("CLICKSTREAM_SEQUENCE_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("CLICKSTREAM_SEQUENCE_SEED: %v", err)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 17))
	held := 1 + rng.IntN(days-1) // something precedes the backfill
	early := rng.IntN(held)
	unchanged := rng.IntN(days)
	t.Logf("CLICKSTREAM_SEQUENCE_SEED=%d: date %d backfilled last, date %d first run without its late files, date %d re-run unchanged", seed, held, early, unchanged)

	date := func(d int) time.Time { return time.Date(2026, 11, 1+d, 0, 0, 0, 0, time.UTC) }
	// files are the raw folders of the received days from..to that exist.
	files := func(from, to int) []string {
		var globs []string
		for d := from; d <= to; d++ {
			dir := filepath.Join(data, "raw", "dt="+date(d).Format(time.DateOnly))
			if _, err := os.Stat(dir); err == nil {
				globs = append(globs, filepath.Join(dir, "*"))
			}
		}
		return globs
	}
	rules, err := Config{}.pageTypes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var recomputed int64
	rewroteEarlier := 0
	run := func(what string, d int, input []string, rebuild bool) {
		t.Helper()
		sum, err := Run(context.Background(), Config{
			Input: input, Dates: []time.Time{date(d)}, Output: out, HashKeyRef: "env:CLICKSTREAM_INCREMENTAL_KEY",
			BotIPFile: filepath.Join(data, "bot_ip_denylist.txt"), Shards: 4, RebuildDimensions: rebuild,
		})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !sum.Reconciled {
			t.Fatalf("%s: not reconciled: %v", what, sum.Problems)
		}
		recomputed += sum.DevicesRecomputed
		for _, r := range sum.SessionsRewritten {
			if !strings.HasPrefix(r, date(d).Format(time.DateOnly)) {
				rewroteEarlier++
			}
		}
		rebuilt := filepath.Join(t.TempDir(), "rebuilt")
		if err := os.CopyFS(rebuilt, os.DirFS(out)); err != nil {
			t.Fatal(err)
		}
		if _, err := dimensionStep(context.Background(), rebuilt, "rebuild", dimensions.Options{RunID: "rebuild", Rebuild: true, PageTypes: rules}); err != nil {
			t.Fatalf("%s: rebuild: %v", what, err)
		}
		incremental, full := dimensionState(t, out), dimensionState(t, rebuilt)
		for _, table := range slices.Sorted(func(yield func(string) bool) {
			for k := range full {
				if !yield(k) {
					return
				}
			}
		}) {
			if got, want := incremental[table], full[table]; !slices.Equal(got, want) {
				t.Fatalf("%s: %s has %d rows, the rebuild %d; first differences:\n%s", what, table, len(got), len(want), firstDiffs(got, want, 3))
			}
		}
		t.Logf("%s: %d sessions, dimensions %v, rewrote %v, recomputed %d devices", what, len(full["fact_sessions"]), sum.Dimensions, sum.SessionsRewritten, sum.DevicesRecomputed)
	}

	for d := range days {
		switch d {
		case held:
		case early:
			run(fmt.Sprintf("daily %d, own files only", d), d, files(d, d), false)
		default:
			run(fmt.Sprintf("daily %d", d), d, files(d-1, d+1), false)
		}
	}
	run(fmt.Sprintf("re-run of %d with its late files", early), early, files(early-1, early+1), false)
	run(fmt.Sprintf("backfill of %d", held), held, files(held-1, held+1), false)
	run(fmt.Sprintf("re-run of %d, unchanged", unchanged), unchanged, files(unchanged-1, unchanged+1), false)
	run(fmt.Sprintf("re-run of %d with --rebuild_dimensions", unchanged), unchanged, files(unchanged-1, unchanged+1), true)
	if recomputed == 0 || rewroteEarlier == 0 {
		t.Errorf("the sequence recomputed %d devices and rewrote %d partitions of earlier dates: it tests too little", recomputed, rewroteEarlier)
	}
}

// dimensionState is every row of the dimensions and of fact_sessions, each
// as its JSON, sorted, by table.
func dimensionState(t *testing.T, out string) map[string][]string {
	t.Helper()
	state := map[string][]string{}
	for table, read := range map[string]func(string, []time.Time, bool) ([]string, error){
		"dim_device_users": readJSON[schemas.DeviceUser]("dim_device_users", nil),
		"dim_devices":      readJSON[schemas.Device]("dim_devices", nil),
		"dim_users":        readJSON[schemas.User]("dim_users", nil),
		"dim_pages":        readJSON[schemas.Page]("dim_pages", nil),
		"fact_sessions":    readJSON[schemas.Session]("fact_sessions", nil),
	} {
		rows, err := read(out, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		state[table] = rows
	}
	return state
}

// firstDiffs lists up to n rows that are in one of got and want only.
func firstDiffs(got, want []string, n int) string {
	var b strings.Builder
	for _, side := range []struct {
		name     string
		in, from []string
	}{{"only incremental", got, want}, {"only rebuilt", want, got}} {
		k := 0
		for _, r := range side.in {
			if _, found := slices.BinarySearch(side.from, r); !found && k < n {
				fmt.Fprintf(&b, "  %s: %s\n", side.name, r)
				k++
			}
		}
	}
	return b.String()
}
