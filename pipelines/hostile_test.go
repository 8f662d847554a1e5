package pipelines

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/example/clickstream/io/warehouse/duck"
)

// TestHostileRecordsReachReadableTables runs the batch pipeline on records a
// review found to break or leak through the tables, and reads the warehouse
// with DuckDB (io/warehouse/duck), as an analyst would: one invalid
// UTF-8 string used to make DuckDB refuse the whole dead_letter file
// ("Invalid string encoding"), details echoed PII and 200 KB values, device
// clocks beyond BigQuery's range were stored, attributes and bot_detail kept
// full addresses.
func TestHostileRecordsReachReadableTables(t *testing.T) {
	const (
		ip   = "203.0.113.9"
		user = "alice@example.com"
		ok   = `"event_type":"page_view","device_id":"d1","created_at":"2026-11-01T10:00:00Z","received_at":"2026-11-01T10:00:01Z"`
	)
	lines := []string{
		`{"event_id":"e-pii",` + ok + `,"sent_at":{"ip":"` + ip + `","user_id":"` + user + `"}}`,
		`{"event_id":"e-long",` + ok + `,"sent_at":"` + strings.Repeat("x", 200<<10) + `"}`,
		`{"event_id":"e-utf8",` + ok + ",\"sent_at\":{\"a\":\"\xff\xfe\"}}",
		`{"event_id":"e-created","event_type":"page_view","device_id":"d2","created_at":1e300,"received_at":"2026-11-01T11:00:00Z"}`,
		`{"event_id":"e-sent","event_type":"page_view","device_id":"d3","created_at":"2026-11-01T12:00:00Z","sent_at":-99999999999999999,"received_at":"2026-11-01T12:00:01Z"}`,
		`{"event_id":"e-query",` + ok + `,"search_query":"` + strings.Repeat("q", 100<<10) + `"}`,
		`{"event_id":"e-bot","event_type":"page_view","device_id":"d4","created_at":"2026-11-01T13:00:00Z","ip":"198.51.100.7"}`,
		`{"event_id":"e-user",` + ok + `,"user_id":"` + user + `"}`,
		`{"event_type":"page_view","device_id":"d5","created_at":"2026-11-01T10:00:00Z","user_id":" ` + user + ` ",` +
			`"client_ip":"` + ip + `","x_forwarded_for":"` + ip + `","page_url":"https://` + ip + `/p"}`,
		`{'user_id': '` + user + `'}`,
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "raw", "dt=2026-11-01", "hostile.jsonl")
	denyList := filepath.Join(dir, "ip_deny.txt")
	if err := os.MkdirAll(filepath.Dir(input), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(denyList, []byte("198.51.100.7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLICKSTREAM_HOSTILE_KEY", "hostile-test-key")
	c := Config{Input: []string{input}, Output: t.TempDir(), HashKeyRef: "env:CLICKSTREAM_HOSTILE_KEY", BotIPFile: denyList, Shards: 4}
	runReconciled(t, c)

	ctx := context.Background()
	w, err := duck.Open(ctx, c.Output)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	query := func(q string) [][]string {
		t.Helper()
		rows, err := w.SQL().QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]string
		for rows.Next() {
			vals := make([]string, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return out
	}

	dead := query(`SELECT reason, detail, payload, coalesce(attributes, '') FROM dead_letter ORDER BY source_line`)
	if len(dead) != 5 {
		t.Fatalf("%d dead letters, want 5: %q", len(dead), dead)
	}
	for _, d := range dead {
		for i, s := range d {
			if !utf8.ValidString(s) || strings.Contains(s, ip) || strings.Contains(s, "alice") {
				t.Errorf("dead letter %s: column %d keeps a raw IP or user id, or is invalid UTF-8: %.200q", d[0], i, s)
			}
		}
		if len(d[1]) > 120 {
			t.Errorf("dead letter %s: detail of %d bytes", d[0], len(d[1]))
		}
	}

	events := map[string][]string{}
	for _, r := range query(`SELECT event_id, coalesce(CAST(created_at AS VARCHAR), 'NULL'), coalesce(CAST(sent_at AS VARCHAR), 'NULL'),
		time_source, CAST(length(coalesce(search_query, '')) AS VARCHAR), coalesce(user_key, '') FROM fact_events`) {
		events[r[0]] = r[1:]
	}
	for id, want := range map[string][]string{
		"e-created": {"NULL", "NULL", "received_at"},
		"e-sent":    {"2026-11-01 12:00:00+00", "NULL", "received_at"},
	} {
		if got := events[id]; len(got) < 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("%s: created_at, sent_at, time_source = %q, want %q", id, got, want)
		}
	}
	if got := events["e-query"]; len(got) < 4 || got[3] != "1024" {
		t.Errorf("e-query: search_query length %q, want the column's bound 1024", got)
	}
	userKey := events["e-user"][4]
	if !strings.Contains(dead[3][2], `"user_id":"user_key:`+userKey+`"`) {
		t.Errorf("the padded user id's payload %s does not carry the event's user key %s", dead[3][2], userKey)
	}

	bots := query(`SELECT bot_detail, ip FROM bot_events`)
	if len(bots) != 1 || bots[0][0] != "deny list line 1: /32" || bots[0][1] != "198.51.100.0" {
		t.Errorf("bot_events (bot_detail, ip) = %q, want the deny-list line, not the address", bots)
	}
}
