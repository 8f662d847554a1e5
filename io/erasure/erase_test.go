package erasure_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/schemas"
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
	userIDs := map[string]bool{}
	for _, r := range truth {
		if r.UserID != nil && *r.UserID != "" {
			userIDs[*r.UserID] = true
		}
	}
	var ids []string
	for id := range userIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) < 50 {
		t.Fatalf("only %d user ids in the sample", len(ids))
	}
	ids = ids[:50]
	p, err := pseudonym.New([]byte("erasure-test-key"), pseudonym.IPMode("truncate"))
	if err != nil {
		t.Fatal(err)
	}
	var filed []erasure.Filed
	erasedKeys := map[string]bool{}
	for i, id := range ids {
		filed = append(filed, erasure.Filed{RequestID: "r" + string(rune('A'+i/26)) + string(rune('a'+i%26)), UserID: id,
			ReceivedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		erasedKeys[p.UserKey(id)] = true
	}
	requests, err := erasure.Hash(filed, []*pseudonym.Pseudonymizer{p})
	if err != nil {
		t.Fatal(err)
	}
	before := othersEvents(t, out, erasedKeys)

	if err := erasure.File(out, "file-1", requests); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := erasure.Erase(context.Background(), erasure.Options{Warehouse: out, Keys: []*pseudonym.Pseudonymizer{p}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("erased %d requests in %v: removed %v, %d raw files rewritten", len(res.Requests), time.Since(start), res.Removed, len(res.RawFiles))
	if len(res.Requests) != 50 || res.Removed["fact_events"] == 0 || len(res.RawFiles) == 0 {
		t.Fatalf("erasure did too little: %+v", res.Removed)
	}

	hits, err := erasure.Verify(out, raw, requests, ids...)
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

	after := othersEvents(t, out, erasedKeys)
	if len(after) != len(before) {
		t.Errorf("other people's events: %d before, %d after", len(before), len(after))
	}
	for id, e := range before {
		if a, ok := after[id]; !ok || a != e {
			t.Errorf("event %s of another person changed or vanished", id)
			break
		}
	}

	logBefore := readLog(t, out)
	again, err := erasure.Erase(context.Background(), erasure.Options{Warehouse: out, Keys: []*pseudonym.Pseudonymizer{p}})
	if err != nil {
		t.Fatal(err)
	}
	if again.RunID != "" || len(readLog(t, out)) != len(logBefore) {
		t.Errorf("second run did something: %+v", again)
	}
	if _, err := os.Stat(filepath.Join(out, "_staging", res.RunID)); !os.IsNotExist(err) {
		t.Errorf("staging of %s left behind: %v", res.RunID, err)
	}
}

// othersEvents are the fact_events rows carrying a user key not erased, by
// event id, as comparable strings.
func othersEvents(t *testing.T, out string, erased map[string]bool) map[string]string {
	t.Helper()
	rows, err := warehouse.ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range rows {
		if e.UserKey != "" && !erased[e.UserKey] {
			m[e.EventID] = e.UserKey + "|" + e.SessionID + "|" + e.EventTime.String() + "|" + e.Source
		}
	}
	return m
}

func readLog(t *testing.T, out string) []schemas.ErasureLog {
	t.Helper()
	rows, err := warehouse.ReadRows[schemas.ErasureLog](out, "erasure_log", nil)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
