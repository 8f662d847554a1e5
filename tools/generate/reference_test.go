package generate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// This file is an independent reader of the generated files, written from
// the raw event contract (schemas/raw_event.md) with encoding/json: the
// tests check the ground truth against what it finds.

type recKey struct {
	file  string
	line  int
	index int
}

func (k recKey) less(o recKey) bool {
	if k.file != o.file {
		return k.file < o.file
	}
	if k.line != o.line {
		return k.line < o.line
	}
	return k.index < o.index
}

// rawRecord is a record as the contract reads it.
type rawRecord struct {
	key       recKey
	reason    string // dead-letter reason, "" when valid
	eventID   string
	deviceID  string
	userID    *string
	eventType string
	created   time.Time // device clock, as written
	received  time.Time
	hasRecv   bool
	eventTime time.Time // derived as the contract says
	ua, ip    string
	// searchQuery is search_query lower-cased with spaces trimmed and
	// collapsed; resultsCount is results_count, nil when absent.
	searchQuery  string
	resultsCount *int64
	raw          []byte // the event object (or the line)
	lineBytes    []byte
}

type truthRecord struct {
	File           string  `json:"file"`
	Line           int     `json:"line"`
	Index          int     `json:"index"`
	EventID        string  `json:"event_id"`
	DeviceID       string  `json:"device_id"`
	UserID         *string `json:"user_id"`
	PersonID       string  `json:"person_id"`
	Outcome        string  `json:"outcome"`
	BotRule        string  `json:"bot_rule"`
	Reason         string  `json:"reason"`
	EventTime      string  `json:"event_time"`
	EventDate      string  `json:"event_date"`
	DeadLetterDate string  `json:"dead_letter_date"`
	Session        string  `json:"session"`
	EventType      string  `json:"event_type"`
}

func (r truthRecord) key() recKey { return recKey{r.File, r.Line, r.Index} }

func readTruth(t *testing.T, dir string) []truthRecord {
	t.Helper()
	fh, err := os.Open(filepath.Join(dir, "truth.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []truthRecord
	for sc.Scan() {
		var r truthRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("truth line %d: %v", len(out)+1, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rawFileData is one raw file as a reader gets it.
type rawFileData struct {
	rel       string
	lines     [][]byte // complete lines, without newline
	truncated bool     // the gzip stream broke after lines
	gzip      bool
	header    []byte
}

func readRaw(t *testing.T, dir string) []rawFileData {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(filepath.Join(dir, "raw"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var out []rawFileData
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		f := rawFileData{rel: filepath.ToSlash(rel)}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			f.gzip = true
			f.header = data[:10]
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("%s: %v", f.rel, err)
				}
				f.truncated = true
			}
			data = plain
		}
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				if !f.truncated {
					t.Fatalf("%s: last line without newline", f.rel)
				}
				break
			}
			f.lines = append(f.lines, data[:i])
			data = data[i+1:]
		}
		out = append(out, f)
	}
	return out
}

var (
	stringFields    = []string{"event_id", "event_type", "device_id", "platform", "page_url", "referrer", "user_agent", "ip", "product_id", "category_id", "search_query", "currency", "order_id"}
	idFields        = []string{"user_id", "session_id"} // a string, or a number kept as text
	timestampFields = []string{"created_at", "sent_at", "received_at"}
	minTime         = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime         = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func isNull(v json.RawMessage) bool { return v == nil || string(v) == "null" }

// parseTS reads a contract timestamp; ok is false when it does not parse.
func parseTS(v json.RawMessage) (time.Time, bool) {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	var n json.Number
	if json.Unmarshal(v, &n) != nil {
		return time.Time{}, false
	}
	ms, err := n.Int64()
	return time.UnixMilli(ms), err == nil
}

// readRecords splits every file into records the way the contract says.
func readRecords(files []rawFileData) []rawRecord {
	var out []rawRecord
	for _, f := range files {
		for i, l := range f.lines {
			out = append(out, lineRecords(recKey{f.rel, i + 1, 0}, l)...)
		}
		if f.truncated {
			out = append(out, rawRecord{key: recKey{f.rel, len(f.lines) + 1, 0}, reason: "corrupt_gzip"})
		}
	}
	return out
}

func lineRecords(k recKey, l []byte) []rawRecord {
	whole := rawRecord{key: k, lineBytes: l, raw: l}
	if len(l) > 256<<10 {
		whole.reason = "too_large"
		return []rawRecord{whole}
	}
	var obj map[string]json.RawMessage
	if bytes.TrimSpace(l)[0] != '{' || json.Unmarshal(l, &obj) != nil {
		whole.reason = "bad_json"
		return []rawRecord{whole}
	}
	evs, isBeacon := obj["events"]
	if !isBeacon {
		r := checkEvent(k, obj, nil)
		r.lineBytes, r.raw = l, l
		return []rawRecord{r}
	}
	var elems []json.RawMessage
	if json.Unmarshal(evs, &elems) != nil || len(elems) == 0 {
		whole.reason = "bad_beacon"
		return []rawRecord{whole}
	}
	var out []rawRecord
	for i, el := range elems {
		ek := recKey{k.file, k.line, i}
		var eo map[string]json.RawMessage
		if el[0] != '{' || json.Unmarshal(el, &eo) != nil {
			out = append(out, rawRecord{key: ek, reason: "bad_event", lineBytes: l, raw: el})
			continue
		}
		r := checkEvent(ek, eo, obj)
		r.lineBytes, r.raw = l, el
		out = append(out, r)
	}
	return out
}

func checkEvent(k recKey, ev, env map[string]json.RawMessage) rawRecord {
	r := rawRecord{key: k}
	field := func(name string) json.RawMessage {
		if v, ok := ev[name]; ok && !isNull(v) {
			return v
		}
		if name == "sent_at" || name == "received_at" {
			if v, ok := env[name]; ok && !isNull(v) {
				return v
			}
		}
		return nil
	}
	str := func(name string) string {
		var s string
		_ = json.Unmarshal(field(name), &s)
		return s
	}
	for _, f := range stringFields {
		if v := field(f); v != nil && v[0] != '"' {
			r.reason = "wrong_type"
		}
	}
	for _, f := range idFields {
		if v := field(f); v != nil && v[0] != '"' && (v[0] < '0' || v[0] > '9') && v[0] != '-' {
			r.reason = "wrong_type"
		}
	}
	for _, f := range timestampFields {
		if v := field(f); v != nil && v[0] != '"' && (v[0] < '0' || v[0] > '9') && v[0] != '-' {
			r.reason = "wrong_type"
		}
	}
	for _, f := range []string{"price", "revenue", "quantity", "results_count"} {
		v := field(f)
		if v == nil {
			continue
		}
		var n json.Number
		// encoding/json would read "2" into a Number: check the raw type.
		if v[0] == '"' || json.Unmarshal(v, &n) != nil {
			r.reason = "wrong_type"
		} else if _, err := n.Int64(); (f == "quantity" || f == "results_count") && err != nil {
			r.reason = "wrong_type"
		}
	}
	if r.reason != "" {
		return r
	}
	r.eventID, r.deviceID, r.eventType = str("event_id"), str("device_id"), str("event_type")
	r.ua, r.ip = str("user_agent"), str("ip")
	r.searchQuery = strings.Join(strings.Fields(strings.ToLower(str("search_query"))), " ")
	if v := field("results_count"); v != nil {
		var n int64
		if json.Unmarshal(v, &n) == nil {
			r.resultsCount = &n
		}
	}
	if v := field("user_id"); v != nil {
		s := str("user_id")
		r.userID = &s
	}
	switch {
	case strings.TrimSpace(r.eventID) == "":
		r.reason = "missing_event_id"
	case strings.TrimSpace(r.deviceID) == "":
		r.reason = "missing_device_id"
	case field("created_at") == nil || strings.TrimSpace(str("created_at")) == "" && field("created_at")[0] == '"':
		r.reason = "missing_created_at"
	case strings.TrimSpace(r.eventType) == "":
		r.reason = "missing_event_type"
	}
	if r.reason != "" {
		return r
	}
	created, ok := parseTS(field("created_at"))
	var sent, recv time.Time
	hasSent, hasRecv := field("sent_at") != nil, field("received_at") != nil
	if ok && hasSent {
		sent, ok = parseTS(field("sent_at"))
	}
	if ok && hasRecv {
		recv, ok = parseTS(field("received_at"))
	}
	if !ok {
		r.reason = "bad_timestamp"
		return r
	}
	r.created, r.received, r.hasRecv = created, recv, hasRecv
	switch {
	case hasRecv && hasSent && sent.Sub(created) >= 0 && sent.Sub(created) <= 30*24*time.Hour:
		r.eventTime = recv.Add(-sent.Sub(created))
	case hasRecv:
		r.eventTime = recv
	default:
		r.eventTime = created
	}
	inRange := func(t time.Time) bool { return !t.Before(minTime) && t.Before(maxTime) }
	if (hasRecv && !inRange(recv)) || (!hasRecv && !inRange(created)) {
		r.reason = "absurd_timestamp"
	}
	return r
}

func loadDenyList(t *testing.T, dir string) []netip.Prefix {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "bot_ip_denylist.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Prefix
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		p, err := netip.ParsePrefix(l)
		if err != nil {
			t.Fatalf("deny list: %v", err)
		}
		out = append(out, p)
	}
	return out
}

func denied(list []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// botUA is an independent list of what announces a bot in a user agent.
var botUA = []string{"bot", "crawl", "spider", "slurp", "facebookexternalhit", "python-requests", "curl/", "go-http-client", "scrapy", "phantomjs", "headlesschrome", "bytespider"}

func isBotUA(ua string) bool {
	ua = strings.ToLower(ua)
	for _, s := range botUA {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}
