package sanitize_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/parse"
	"github.com/example/clickstream/transforms/sanitize"
)

// Identifiers planted in every fuzzed record. No row may keep the visitor's
// user id or IPs; a dead letter may not keep the page's IP either (an event
// row may: it is the page's address, in page_url and page_host).
const (
	plantedUser   = "u-7f3a9c@example.com"
	plantedIPv4   = "203.0.113.77"
	plantedIPv6   = "2001:db8:aa:bb::77"
	plantedPageIP = "198.51.100.23"
)

// plants are put between the fuzzed prefix and suffix of a record.
var plants = []string{
	`"user_id":" ` + plantedUser + ` ","ip":"` + plantedIPv4 + `"`,
	`"client_ip":"` + plantedIPv4 + `","x_forwarded_for":"` + plantedIPv4 + `, ` + plantedIPv6 + `"`,
	`"page_url":"https://` + plantedPageIP + `/p?q=1","user_id":"` + plantedUser + `"`,
	`"USER_ID":"` + plantedUser + `","ip":"` + plantedIPv6 + `"`,
}

// rowPath is parse -> bot filter -> enrich -> sanitize, without Beam: what
// becomes a fact_events, bot_events or dead_letter row.
type rowPath struct {
	parser   *parse.Parser
	marker   *botfilter.Marker
	enricher *enrich.Enricher
}

func newRowPath(f *testing.F) *rowPath {
	f.Setenv("CLICKSTREAM_FUZZ_KEY", "fuzz-key")
	p, err := parse.NewParser(parse.Options{HashKeyRef: "env:CLICKSTREAM_FUZZ_KEY", IPMode: "truncate"})
	if err != nil {
		f.Fatal(err)
	}
	denyList := filepath.Join(f.TempDir(), "ip_deny.txt")
	// The visitor's address as a single entry, the page's within a network.
	if err := os.WriteFile(denyList, []byte(plantedIPv4+"\n198.51.100.0/24\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	m, err := botfilter.NewMarker(context.Background(), botfilter.Options{IPFile: denyList})
	if err != nil {
		f.Fatal(err)
	}
	en, err := enrich.NewEnricher(context.Background(), enrich.Options{IPMode: "truncate"})
	if err != nil {
		f.Fatal(err)
	}
	return &rowPath{parser: p, marker: m, enricher: en}
}

// rows returns every row r ends in, by table, sanitized as the sinks do.
func (rp *rowPath) rows(r schemas.Record) (out []tableRow) {
	rp.parser.Parse(r, func(e schemas.Event) {
		rp.marker.Apply(&e)
		rp.enricher.Apply(&e)
		if e.BotRule != "" {
			out = append(out, tableRow{"bot_events", sanitize.Row("bot_events", schemas.NewBotEvent(e))})
			return
		}
		out = append(out, tableRow{"fact_events", sanitize.Row("fact_events", e)})
	}, func(d schemas.DeadLetter) {
		out = append(out, tableRow{"dead_letter", sanitize.Row("dead_letter", d)})
	})
	return out
}

type tableRow struct {
	table string
	row   any
}

// FuzzRows checks the whole parse -> row path on hostile records: every
// string column of every row is valid UTF-8 and within its column's bound,
// every timestamp lies in BigQuery's range (or is NULL), and no row keeps
// the raw user id or IPs planted in the record or its Pub/Sub attributes.
func FuzzRows(f *testing.F) {
	const event = `{"event_id":"e1","event_type":"page_view","device_id":"d1","created_at":"2026-11-01T10:00:00Z",`
	seeds := []struct{ prefix, suffix string }{
		{event, `}`},
		{event + `"user_agent":"Mozilla/5.0 (compatible; Googlebot/2.1)",`, `}`},
		{event + `"received_at":"2026-11-01T10:00:02Z","sent_at":-99999999999999999,`, `}`},
		{`{"event_id":"e1","event_type":"page_view","device_id":"d1","created_at":1e300,"received_at":"2026-11-01T10:00:02Z",`, `}`},
		{`{"sent_at":"2026-11-01T10:00:01Z","received_at":"2026-11-01T10:00:02Z","events":[` + event, `},{"event_id":"e2"}]}`},
		{event + `"sent_at":{`, `}}`},
		{event, ``},
		{`{'event_id': 'e1', `, `}`},
		{`{"a\`, `}`},
		{"{\"event_id\":\"\xff\xfe\",", `,}`},
		{`{"user\u005fid":"x",`, `}`},
		{`not json `, ` at all`},
	}
	for i, s := range seeds {
		f.Add([]byte(s.prefix), []byte(s.suffix), uint8(i), i%2 == 0)
	}
	rp := newRowPath(f)
	arrived := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, prefix, suffix []byte, plant uint8, message bool) {
		data := string(prefix) + plants[int(plant)%len(plants)] + string(suffix)
		r := schemas.Record{Source: "fuzz.jsonl", Line: 1, Data: []byte(data), Size: int64(len(data)), Arrived: arrived}
		if message {
			r.Source, r.Line, r.AckID = "pubsub:fuzz", 0, "ack-1"
			r.Attributes = map[string]string{"user_id": plantedUser, "x-forwarded-for": plantedIPv4, "ip": plantedIPv6}
		}
		fuzzed := decodedLower(string(prefix) + string(suffix))
		for _, tr := range rp.rows(r) {
			secrets := []string{plantedUser, plantedIPv4, plantedIPv6}
			if tr.table == "dead_letter" {
				secrets = append(secrets, plantedPageIP)
			}
			for column, s := range stringColumns(t, tr) {
				if !utf8.ValidString(s.value) || len(s.value) > s.limit {
					t.Errorf("%s.%s: %d bytes (bound %d), valid UTF-8 %t", tr.table, column, len(s.value), s.limit, utf8.ValidString(s.value))
				}
				for _, secret := range secrets {
					if strings.Contains(strings.ToLower(s.value), secret) && !strings.Contains(fuzzed, secret) {
						t.Errorf("%s.%s keeps the planted %s: %q", tr.table, column, secret, s.value)
					}
				}
			}
			checkTimes(t, tr)
		}
	})
}

type column struct {
	value string
	limit int
}

// stringColumns returns the STRING columns of a row (each element of a
// REPEATED one under its own name) with their bounds from schemas/tables.
func stringColumns(t *testing.T, tr tableRow) map[string]column {
	t.Helper()
	v := reflect.ValueOf(tr.row)
	byTag := map[string]reflect.Value{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("parquet"), ",")
		byTag[name] = v.Field(i)
	}
	out := map[string]column{}
	for _, c := range schemas.MustTable(tr.table).Schema {
		if c.Type != "STRING" {
			continue
		}
		f := byTag[c.Name]
		if f.Kind() == reflect.Slice {
			for i, s := range f.Interface().([]string) {
				out[c.Name+"["+strconv.Itoa(i)+"]"] = column{s, int(c.MaxLength)}
			}
			continue
		}
		out[c.Name] = column{f.String(), int(c.MaxLength)}
	}
	return out
}

// checkTimes fails on a timestamp BigQuery refuses: outside [0001-01-01,
// 9999-12-31] unless zero (NULL).
func checkTimes(t *testing.T, tr tableRow) {
	t.Helper()
	lo, hi := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	v := reflect.ValueOf(tr.row)
	for i := range v.NumField() {
		ts, ok := v.Field(i).Interface().(time.Time)
		if ok && !ts.IsZero() && (ts.Before(lo) || !ts.Before(hi)) {
			t.Errorf("%s.%s = %v is outside BigQuery's TIMESTAMP range", tr.table, v.Type().Field(i).Name, ts)
		}
	}
}

// decodedLower is the fuzzed text as a JSON decoder and the parser's case
// folding could turn it into a stored value: \uXXXX escapes decoded, lower
// case. A secret found in it may legitimately be stored (the fuzzer wrote it
// into, say, search_query); one only in the plant may not.
func decodedLower(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+6 <= len(s) && s[i+1] == 'u' {
			if r, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				b.WriteRune(rune(r))
				i += 5
				continue
			}
		}
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return strings.ToLower(b.String())
}
