package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testKeyEnv = "CLICKSTREAM_TEST_HASH_KEY"

func testParser(t testing.TB) *Parser {
	t.Helper()
	os.Setenv(testKeyEnv, "test-key")
	p, err := NewParser(Options{HashKeyRef: "env:" + testKeyEnv, IPMode: "truncate"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var arrived = time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)

func testRecords(t testing.TB) []schemas.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []schemas.Record
	sc := bufio.NewScanner(f)
	for n := int64(1); sc.Scan(); n++ {
		data := bytes.Clone(sc.Bytes())
		out = append(out, schemas.Record{Source: "records.jsonl", Line: n, Data: data, Size: int64(len(data)), Arrived: arrived})
	}
	return out
}

// TestGolden parses every case of testdata/records.jsonl and compares the
// outcomes with testdata/records.golden.jsonl.
func TestGolden(t *testing.T) {
	p := testParser(t)
	var got bytes.Buffer
	enc := json.NewEncoder(&got)
	for _, r := range testRecords(t) {
		n := 0
		p.Parse(r, func(e schemas.Event) {
			n++
			enc.Encode(map[string]any{"line": r.Line, "event": e})
		}, func(d schemas.DeadLetter) {
			n++
			enc.Encode(map[string]any{"line": r.Line, "dead_letter": d})
		})
		if want := r.InputRecords(); n != want {
			t.Errorf("line %d: %d outcomes, schemas.Record.InputRecords counts %d", r.Line, n, want)
		}
	}
	golden := filepath.Join("testdata", "records.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	gotLines, wantLines := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w []byte
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if !bytes.Equal(g, w) {
			t.Errorf("outcome %d differs:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
}

func TestEventTime(t *testing.T) {
	at := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	tests := []struct {
		name                    string
		created, sent, received string
		want, wantSource        string
		wantOK                  bool
	}{
		{"skewed clock corrected", "2030-01-01T00:00:00Z", "2030-01-01T00:00:05Z", "2026-11-01T10:00:05Z", "2026-11-01T10:00:00Z", TimeDerived, true},
		{"late beacon keeps its time", "2026-11-01T06:00:00Z", "2026-11-01T14:00:00Z", "2026-11-01T14:00:01Z", "2026-11-01T06:00:01Z", TimeDerived, true},
		{"sent before created: fall back", "2026-11-01T10:00:00Z", "2026-11-01T09:00:00Z", "2026-11-01T10:00:01Z", "2026-11-01T10:00:01Z", TimeReceivedAt, true},
		{"held longer than 30 days: fall back", "2026-09-01T10:00:00Z", "2026-11-01T10:00:00Z", "2026-11-01T10:00:01Z", "2026-11-01T10:00:01Z", TimeReceivedAt, true},
		{"no sent_at", "2026-11-01T09:00:00Z", "", "2026-11-01T10:00:01Z", "2026-11-01T10:00:01Z", TimeReceivedAt, true},
		{"no received_at", "2026-11-01T09:00:00Z", "", "", "2026-11-01T09:00:00Z", TimeCreatedAt, true},
		{"absurd received_at", "2026-11-01T09:00:00Z", "", "1999-12-31T23:59:59Z", "1999-12-31T23:59:59Z", TimeReceivedAt, false},
		{"absurd created_at alone", "1970-01-01T00:00:00Z", "", "", "1970-01-01T00:00:00Z", TimeCreatedAt, false},
		{"absurd device clock is fine when corrected", "1970-01-01T00:00:00Z", "1970-01-01T00:00:01Z", "2026-11-01T10:00:01Z", "2026-11-01T10:00:00Z", TimeDerived, true},
		{"unusable created_at: received_at", "", "2026-11-01T10:00:00Z", "2026-11-01T10:00:01Z", "2026-11-01T10:00:01Z", TimeReceivedAt, true},
		{"unusable created_at alone", "", "", "", "", TimeCreatedAt, false},
		{"clocks centuries apart do not wrap", "0001-01-02T00:00:00Z", "9999-12-30T00:00:00Z", "2026-11-01T10:00:01Z", "2026-11-01T10:00:01Z", TimeReceivedAt, true},
		{"clocks centuries apart, reversed", "9999-12-30T00:00:00Z", "0001-01-02T00:00:00Z", "2026-11-01T10:00:01Z", "2026-11-01T10:00:01Z", TimeReceivedAt, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, source, ok := EventTime(at(tt.created), at(tt.sent), at(tt.received))
			if !got.Equal(at(tt.want)) || source != tt.wantSource || ok != tt.wantOK {
				t.Errorf("EventTime = %v %s %t, want %s %s %t", got, source, ok, tt.want, tt.wantSource, tt.wantOK)
			}
		})
	}
}

// TestPayloadCutIsTheColumnBound: parse cuts payloads where the dead_letter
// table bounds them, so the sanitizer before the sinks never cuts one again.
func TestPayloadCutIsTheColumnBound(t *testing.T) {
	c, ok := schemas.MustTable("dead_letter").Column("payload")
	if !ok || c.MaxLength != DefaultMaxPayloadBytes {
		t.Errorf("dead_letter.payload is bounded at %d bytes, parse cuts at %d", c.MaxLength, DefaultMaxPayloadBytes)
	}
}
