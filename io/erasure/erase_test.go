package erasure_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

func TestMain(m *testing.M) { ptest.Main(m) }

const hashKeyEnv = "CLICKSTREAM_ERASURE_TEST_KEY"

// On a generated two-day warehouse with its raw files, erasing 50 people
// leaves no trace of them (their keys, and their raw user ids, which only a
// test may search for), leaves every other person's fact_events rows as they
// were, and a second run changes nothing.
func TestEraseFiftyPeople(t *testing.T) {
	t.Setenv(hashKeyEnv, "erasure-test-key")
	dir := t.TempDir()
	data, out := filepath.Join(dir, "data"), filepath.Join(dir, "warehouse")
	if err := groundtruth.Generate(data, "--seed", "7", "--events", "6000", "--days", "2"); err != nil {
		t.Fatal(err)
	}
	raw := []string{filepath.Join(data, "raw", "*", "*")}
	sum, err := pipelines.Run(context.Background(), pipelines.Config{
		Input: raw, Output: out, HashKeyRef: "env:" + hashKeyEnv, Shards: 4,
		BotIPFile: filepath.Join(data, "bot_ip_denylist.txt"),
	})
	if err != nil || !sum.Reconciled {
		t.Fatalf("pipeline: %v %v", err, sum.Problems)
	}
	truth, err := groundtruth.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	ids, shared, stitched := pickPeople(truth, 50)
	if len(ids) < 50 || shared < 5 || stitched < 5 {
		t.Fatalf("sample has %d people to erase, %d on shared devices, %d with anonymous history: want 50, 5, 5", len(ids), shared, stitched)
	}
	p, err := pseudonym.New([]byte("erasure-test-key"), pseudonym.IPMode("truncate"))
	if err != nil {
		t.Fatal(err)
	}
	var filed []erasure.Filed
	erasedKeys := map[string]bool{} // erased user keys and device ids
	for i, id := range ids {
		filed = append(filed, erasure.Filed{RequestID: "r" + string(rune('A'+i/26)) + string(rune('a'+i%26)), UserID: id,
			ReceivedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		erasedKeys[p.UserKey(id)] = true
	}
	devices := otherDevices(truth, ids, 3)
	for i, d := range devices {
		filed = append(filed, erasure.Filed{RequestID: fmt.Sprintf("device-%d", i), DeviceID: d,
			ReceivedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	}
	requests, err := erasure.Hash(filed, []*pseudonym.Pseudonymizer{p})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devices {
		erasedKeys[d] = true
	}
	before := othersEvents(t, out, erasedKeys)
	rowsBefore := countRows(t, out, "fact_events")

	if err := erasure.File(out, "file-1", requests); err != nil {
		t.Fatal(err)
	}
	opts := erasure.Options{Warehouse: out, Keys: []*pseudonym.Pseudonymizer{p}, Dimensions: dimensions.Options{PageTypes: enrich.DefaultPageTypes().Rules()}}
	res, err := erasure.Erase(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("erased %d requests (%d people on shared devices, %d with anonymous history): removed %v, %d raw files rewritten", len(res.Requests), shared, stitched, res.Removed, len(res.RawFiles))
	if len(res.Requests) != 53 || res.Removed["fact_events"] == 0 || len(res.RawFiles) == 0 {
		t.Fatalf("erasure did too little: %+v", res.Removed)
	}

	hits, err := erasure.Verify(context.Background(), nil, out, raw, requests, ids...)
	if len(devices) != 3 {
		t.Fatalf("found %d devices of people not erased, want 3", len(devices))
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hits {
		if i < 10 {
			t.Errorf("trace left: %+v", h)
		}
	}
	if len(hits) > 0 {
		t.Fatalf("%d traces left", len(hits))
	}

	sameEvents(t, "after the erasure", before, othersEvents(t, out, erasedKeys))
	logged := map[string]int64{}
	complete := 0
	for _, l := range readLog(t, out) {
		switch l.Status {
		case schemas.ErasureRemoved:
			if l.Target != "raw" {
				logged[l.Target] += l.RowsRemoved
			}
		case schemas.ErasureComplete:
			complete++
		}
	}
	if !maps.Equal(logged, res.Removed) || complete != len(filed) {
		t.Errorf("erasure_log: removed %v and %d complete requests; the summary says %v of %d", logged, complete, res.Removed, len(filed))
	}
	if gone := rowsBefore - countRows(t, out, "fact_events"); gone != logged["fact_events"] {
		t.Errorf("fact_events lost %d rows, the log says %d", gone, logged["fact_events"])
	}
	checkDimsEqualRebuild(t, out)

	logBefore := readLog(t, out)
	again, err := erasure.Erase(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.RunID != "" || len(readLog(t, out)) != len(logBefore) {
		t.Errorf("second run did something: %+v", again)
	}
	if _, err := os.Stat(filepath.Join(out, "_staging", res.RunID)); !os.IsNotExist(err) {
		t.Errorf("staging of %s left behind: %v", res.RunID, err)
	}

	// A backfill of the first day from the rewritten raw files.
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sum, err = pipelines.Run(context.Background(), pipelines.Config{
		Input: raw, Output: out, HashKeyRef: "env:" + hashKeyEnv, Shards: 4, Dates: []time.Time{day},
		BotIPFile: filepath.Join(data, "bot_ip_denylist.txt"),
	})
	if err != nil || !sum.Reconciled {
		t.Fatalf("backfill: %v %v", err, sum.Problems)
	}
	if hits, err := erasure.Verify(context.Background(), nil, out, raw, requests, ids...); err != nil || len(hits) > 0 {
		t.Fatalf("the backfill brought back %d traces (%v), e.g. %+v", len(hits), err, hits[:min(3, len(hits))])
	}
	sameEvents(t, "after the backfill", before, othersEvents(t, out, erasedKeys))
}

// pickPeople returns n user ids of the truth: first those on a device
// another person used too, and those with anonymous events on their devices
// (stitched to them), then the others, each group sorted; and how many of
// the first two kinds it took.
func pickPeople(truth []groundtruth.Record, n int) (ids []string, shared, stitched int) {
	people := map[string]map[string]bool{} // device -> person ids
	anonymous := map[string]bool{}         // person ids with anonymous events
	userOf := map[string]string{}          // person id -> user id
	for _, r := range truth {
		if r.PersonID == "" || r.DeviceID == "" {
			continue
		}
		if people[r.DeviceID] == nil {
			people[r.DeviceID] = map[string]bool{}
		}
		people[r.DeviceID][r.PersonID] = true
		if r.UserID != nil && *r.UserID != "" {
			userOf[r.PersonID] = *r.UserID
		} else if r.Outcome == "event" {
			anonymous[r.PersonID] = true
		}
	}
	sharing := map[string]bool{}
	for _, ps := range people {
		if len(ps) > 1 {
			for p := range ps {
				sharing[p] = true
			}
		}
	}
	var first, rest []string
	for person := range userOf {
		if sharing[person] || anonymous[person] {
			first = append(first, person)
		} else {
			rest = append(rest, person)
		}
	}
	sort.Strings(first)
	sort.Strings(rest)
	for _, person := range append(first, rest...) {
		if len(ids) == n {
			break
		}
		ids = append(ids, userOf[person])
		if sharing[person] {
			shared++
		}
		if anonymous[person] {
			stitched++
		}
	}
	return ids, shared, stitched
}

// otherDevices returns n devices (sorted) used by exactly one person, who is
// not among the erased user ids, and whose person is not anonymous only:
// the device requests of the test.
func otherDevices(truth []groundtruth.Record, erased []string, n int) []string {
	skip := map[string]bool{}
	for _, id := range erased {
		skip[id] = true
	}
	persons := map[string]map[string]bool{}
	bad := map[string]bool{}
	for _, r := range truth {
		if r.DeviceID == "" || r.Outcome != "event" {
			continue
		}
		if r.UserID != nil && skip[*r.UserID] {
			bad[r.DeviceID] = true
		}
		if persons[r.DeviceID] == nil {
			persons[r.DeviceID] = map[string]bool{}
		}
		persons[r.DeviceID][r.PersonID] = true
	}
	var out []string
	for d, ps := range persons {
		if len(ps) == 1 && !bad[d] {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out[:min(n, len(out))]
}

// sameEvents fails the test unless got holds exactly want's rows.
func sameEvents(t *testing.T, when string, want, got map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("other people's events %s: %d, want %d", when, len(got), len(want))
	}
	for id, e := range want {
		if g, ok := got[id]; !ok || g != e {
			t.Errorf("event %s of another person changed or vanished %s", id, when)
			return
		}
	}
}

// checkDimsEqualRebuild compares the dimensions the erasure left with those
// a rebuild from the remaining facts gives, on a copy of the warehouse.
func checkDimsEqualRebuild(t *testing.T, out string) {
	t.Helper()
	ctx := context.Background()
	cp := filepath.Join(t.TempDir(), "rebuilt")
	if err := os.CopyFS(cp, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	e, err := duck.NewEngine(ctx, cp, "rebuild")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dimensions.Run(ctx, e, dimensions.Options{RunID: "rebuild", Rebuild: true, PageTypes: enrich.DefaultPageTypes().Rules()})
	if err := errors.Join(err, e.Close()); err != nil {
		t.Fatal(err)
	}
	compareTable[schemas.DeviceUser](t, out, cp, "dim_device_users")
	compareTable[schemas.Device](t, out, cp, "dim_devices")
	compareTable[schemas.User](t, out, cp, "dim_users")
	compareTable[schemas.Page](t, out, cp, "dim_pages")
	compareTable[schemas.Session](t, out, cp, "fact_sessions")
}

func compareTable[T any](t *testing.T, got, want, table string) {
	t.Helper()
	read := func(dir string) []string {
		rows, err := warehouse.ReadRows[T](dir, table, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(rows))
		for i, r := range rows {
			b, err := json.Marshal(r) // follows pointers, which %+v prints as addresses
			if err != nil {
				t.Fatal(err)
			}
			out[i] = string(b)
		}
		sort.Strings(out)
		return out
	}
	if g, w := read(got), read(want); !slices.Equal(g, w) {
		t.Errorf("%s after the erasure differs from a rebuild: %d rows, rebuild %d", table, len(g), len(w))
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Errorf("first difference:\n got %s\nwant %s", g[i], w[i])
				break
			}
		}
	}
}

// othersEvents are the fact_events rows carrying a user key not erased, on
// a device not erased, by event id, as comparable strings.
func othersEvents(t *testing.T, out string, erased map[string]bool) map[string]string {
	t.Helper()
	rows, err := warehouse.ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range rows {
		if e.UserKey != "" && !erased[e.UserKey] && !erased[e.DeviceID] {
			m[e.EventID] = e.UserKey + "|" + e.SessionID + "|" + e.EventTime.String() + "|" + e.Source
		}
	}
	return m
}

func countRows(t *testing.T, out, table string) int64 {
	t.Helper()
	counts, err := warehouse.CountRows(out, table, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

func readLog(t *testing.T, out string) []schemas.ErasureLog {
	t.Helper()
	rows, err := warehouse.ReadRows[schemas.ErasureLog](out, "erasure_log", nil)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
