package generate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testConfig is the default configuration at a size that keeps tests fast.
func testConfig(out string) Config {
	return Config{
		Seed: 1, Events: 20000, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Days: 1, Out: out,
		FilesPerDay: 4, Gzip: 0.5, BadRate: 0.02, DupRate: 0.03,
	}
}

type dataset struct {
	dir     string
	summary *Summary
	truth   []truthRecord
	files   []rawFileData
	records []rawRecord
	byKey   map[recKey]*rawRecord
}

var (
	dataMu   sync.Mutex
	datasets = map[string]*dataset{}
	tempRoot string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "generate-test-")
	if err != nil {
		panic(err)
	}
	tempRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// load generates a data set once per name and reads it back.
func load(t *testing.T, name string, cfg func(*Config)) *dataset {
	t.Helper()
	dataMu.Lock()
	defer dataMu.Unlock()
	if d, ok := datasets[name]; ok {
		return d
	}
	c := testConfig(filepath.Join(tempRoot, name))
	if cfg != nil {
		cfg(&c)
	}
	s, err := Generate(c)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	d := &dataset{dir: c.Out, summary: s, truth: readTruth(t, c.Out), files: readRaw(t, c.Out)}
	d.records = readRecords(d.files)
	d.byKey = make(map[recKey]*rawRecord, len(d.records))
	for i := range d.records {
		d.byKey[d.records[i].key] = &d.records[i]
	}
	datasets[name] = d
	return d
}

func defaults(t *testing.T) *dataset { return load(t, "default", nil) }

func multiDay(t *testing.T) *dataset {
	return load(t, "multiday", func(c *Config) { c.Days, c.Events, c.Seed = 3, 30000, 7 })
}

// steady starts its written days in steady state: a simulated history
// three times longer than the visitors' mean lifetime.
func steady(t *testing.T) *dataset {
	return load(t, "steady", func(c *Config) {
		c.Days, c.HistoryDays, c.LifetimeDays, c.Events, c.Seed = 4, 12, 4, 16000, 9
	})
}

func TestTruthMatchesReferenceReader(t *testing.T) {
	for name, d := range map[string]func(*testing.T) *dataset{"default": defaults, "multiday": multiDay, "steady": steady, "scripted": scripted} {
		t.Run(name, func(t *testing.T) { verify(t, d(t)) })
	}
}

// With --history_days and --lifetime_days, nothing received before --start
// is written, the first day already has returning visitors who logged in
// before it, and the days carry about the same number of events (without
// them, the third day of multiday has 40% more than the first).
func TestSteadyState(t *testing.T) {
	d := steady(t)
	for _, f := range d.files {
		if dt := strings.TrimPrefix(strings.Split(f.rel, "/")[1], "dt="); dt < "2026-11-01" {
			t.Errorf("%s was received before --start", f.rel)
		}
	}
	loggedIn := map[string]bool{}
	returning := 0
	for _, tr := range d.truth {
		if tr.Outcome != "event" || tr.UserID == nil || tr.EventDate != "2026-11-01" {
			continue
		}
		if d.byKey[tr.key()].eventType == "login" {
			loggedIn[tr.DeviceID] = true
		} else if !loggedIn[tr.DeviceID] {
			returning++
		}
	}
	if returning == 0 {
		t.Error("no event of the first day carries a user_id without a login before it on that day")
	}
	first, last := d.summary.EventsByDate["2026-11-01"], d.summary.EventsByDate["2026-11-04"]
	if r := float64(last) / float64(first); r < 0.9 || r > 1.1 {
		t.Errorf("events on the last day / the first: %d / %d", last, first)
	}
	m := multiDay(t).summary.EventsByDate
	if r := float64(m["2026-11-03"]) / float64(m["2026-11-01"]); r < 1.3 {
		t.Errorf("without history, the third day has %d events and the first %d: the contrast this test relies on is gone", m["2026-11-03"], m["2026-11-01"])
	}
}

// verify checks the truth against the independent reader: coverage,
// dead-letter reasons, event times, duplicates, bots and sessions.
func verify(t *testing.T, d *dataset) {
	// Every record of the files is in the truth exactly once, in order.
	seen := map[recKey]bool{}
	for i, tr := range d.truth {
		k := tr.key()
		if seen[k] {
			t.Fatalf("truth has %v twice", k)
		}
		seen[k] = true
		if i > 0 && !d.truth[i-1].key().less(k) {
			t.Fatalf("truth not in (file, line, index) order at %v", k)
		}
		if d.byKey[k] == nil {
			t.Fatalf("truth record %v is not in the files", k)
		}
		if tr.Outcome == "event" && tr.EventType != d.byKey[k].eventType {
			t.Errorf("%v: truth event_type %q, reader's %q", k, tr.EventType, d.byKey[k].eventType)
		}
	}
	if len(d.truth) != len(d.records) {
		t.Fatalf("truth has %d records, the files %d", len(d.truth), len(d.records))
	}
	start, _ := time.Parse(time.DateOnly, d.summary.Start)
	first, last := d.summary.Start, start.AddDate(0, 0, d.summary.Days).Format(time.DateOnly)
	// dates names the simulated days, each of which has events, and not
	// the day after.
	from, to, _ := strings.Cut(d.summary.Dates, "..")
	if to == "" {
		to = from
	}
	for day := start; day.Format(time.DateOnly) <= to; day = day.AddDate(0, 0, 1) {
		if d.summary.EventsByDate[day.Format(time.DateOnly)] == 0 {
			t.Errorf("dates %q: %s has no events", d.summary.Dates, day.Format(time.DateOnly))
		}
	}
	if from != first || to != start.AddDate(0, 0, d.summary.Days-1).Format(time.DateOnly) {
		t.Errorf("dates %q, want the %d simulated days from %s", d.summary.Dates, d.summary.Days, first)
	}
	for _, f := range d.files {
		dt := strings.TrimPrefix(strings.Split(f.rel, "/")[1], "dt=")
		if dt < first || dt > last {
			t.Errorf("%s: received outside the simulated days and the day after", f.rel)
		}
	}
	if d.summary.Records != len(d.truth) {
		t.Errorf("summary says %d records, truth has %d", d.summary.Records, len(d.truth))
	}

	deny := loadDenyList(t, d.dir)
	type devKey struct{ device, id string }
	firstRecv := map[devKey]*rawRecord{}
	for _, tr := range d.truth {
		r := d.byKey[tr.key()]
		if (tr.Outcome == "dead_letter") != (r.reason != "") || tr.Reason != r.reason {
			t.Fatalf("%v: truth %s/%q, reader finds reason %q in %.300s", tr.key(), tr.Outcome, tr.Reason, r.reason, r.raw)
		}
		if tr.Outcome == "bot" && !strings.HasPrefix(tr.PersonID, "bot-") {
			t.Errorf("%v: %s/%s record of person %q", tr.key(), tr.Outcome, tr.BotRule, tr.PersonID)
		}
		if tr.Outcome == "dead_letter" {
			if tr.DeadLetterDate == "" || !strings.Contains(tr.File, "dt="+tr.DeadLetterDate+"/") {
				t.Errorf("%v: dead_letter_date %q outside its file's dt", tr.key(), tr.DeadLetterDate)
			}
			continue
		}
		if tr.EventID != r.eventID || tr.DeviceID != r.deviceID {
			t.Fatalf("%v: truth ids %s/%s, file %s/%s", tr.key(), tr.DeviceID, tr.EventID, r.deviceID, r.eventID)
		}
		if (tr.UserID == nil) != (r.userID == nil) || (tr.UserID != nil && *tr.UserID != *r.userID) {
			t.Errorf("%v: user_id differs", tr.key())
		}
		if tr.PersonID == "" {
			t.Errorf("%v: no person_id", tr.key())
		}
		truthTime, err := time.Parse(time.RFC3339Nano, tr.EventTime)
		if err != nil {
			t.Fatalf("%v: event_time %q: %v", tr.key(), tr.EventTime, err)
		}
		// The derived time is the true time plus the network latency.
		if lag := r.eventTime.Sub(truthTime); lag < 50*time.Millisecond || lag > 800*time.Millisecond {
			t.Errorf("%v: derived event time %v is %v after the true one", tr.key(), r.eventTime, lag)
		}
		if got := r.eventTime.UTC().Format(time.DateOnly); got != tr.EventDate {
			t.Errorf("%v: derived date %s, truth %s", tr.key(), got, tr.EventDate)
		}
		dk := devKey{r.deviceID, r.eventID}
		if f := firstRecv[dk]; f == nil || r.received.Before(f.received) {
			firstRecv[dk] = r
		}
		if !r.hasRecv {
			t.Errorf("%v: valid record without received_at", tr.key())
		}
	}

	// Duplicates, bots and sessions, recomputed from the files.
	type kept struct {
		tr *truthRecord
		r  *rawRecord
	}
	byDevice := map[string][]kept{}
	for i := range d.truth {
		tr := &d.truth[i]
		if tr.Outcome == "dead_letter" {
			continue
		}
		r := d.byKey[tr.key()]
		isKept := firstRecv[devKey{r.deviceID, r.eventID}] == r
		if isKept != (tr.Outcome != "duplicate") {
			t.Errorf("%v: truth %s, reader keeps=%v", tr.key(), tr.Outcome, isKept)
		}
		if !isKept {
			continue
		}
		switch tr.BotRule {
		case "user_agent":
			if !isBotUA(r.ua) {
				t.Errorf("%v: user_agent bot with %q", tr.key(), r.ua)
			}
		case "ip":
			if isBotUA(r.ua) || !denied(deny, r.ip) {
				t.Errorf("%v: ip bot with %q from %s", tr.key(), r.ua, r.ip)
			}
		case "":
			if isBotUA(r.ua) || denied(deny, r.ip) {
				t.Errorf("%v: %s with bot user agent %q or denied ip %s", tr.key(), tr.Outcome, r.ua, r.ip)
			}
		}
		if tr.BotRule != "user_agent" && tr.BotRule != "ip" {
			byDevice[r.deviceID] = append(byDevice[r.deviceID], kept{tr, r})
		}
	}
	sessions := 0
	for dev, ks := range byDevice {
		sortBy(ks, func(k kept) time.Time { return k.r.eventTime })
		// Rate rule by derived date.
		botDays := map[string]bool{}
		lo := 0
		for hi := range ks {
			for ks[hi].r.eventTime.Sub(ks[lo].r.eventTime) >= time.Minute || date(ks[lo].r) != date(ks[hi].r) {
				lo++
			}
			if hi-lo+1 > 200 {
				botDays[date(ks[hi].r)] = true
			}
		}
		for _, k := range ks {
			if botDays[date(k.r)] != (k.tr.BotRule == "rate") {
				t.Errorf("%v: rate bot day %v, truth %s/%s", k.tr.key(), botDays[date(k.r)], k.tr.Outcome, k.tr.BotRule)
			}
		}
		// Sessions over the events: chains split by 30-min gaps, and a
		// chain of 24 h or more cut at every UTC midnight.
		var events []kept
		for _, k := range ks {
			if k.tr.Outcome == "event" {
				events = append(events, k)
			}
		}
		names := map[string]int{}
		n := 0
		for start := 0; start < len(events); {
			end := start + 1
			for end < len(events) && events[end].r.eventTime.Sub(events[end-1].r.eventTime) < 30*time.Minute {
				end++
			}
			runaway := events[end-1].r.eventTime.Sub(events[start].r.eventTime) >= 24*time.Hour
			for i, k := range events[start:end] {
				if i == 0 || runaway && date(k.r) != date(events[start+i-1].r) {
					n++
				}
				if want, ok := names[k.tr.Session]; ok && want != n || !strings.HasPrefix(k.tr.Session, dev+"#") {
					t.Errorf("%v: session %s, reader's session %d of %s", k.tr.key(), k.tr.Session, n, dev)
				}
				names[k.tr.Session] = n
			}
			start = end
		}
		if len(names) != n {
			t.Errorf("device %s: truth names %d sessions, reader finds %d", dev, len(names), n)
		}
		sessions += n
	}
	if sessions != d.summary.Sessions {
		t.Errorf("summary says %d sessions, reader finds %d", d.summary.Sessions, sessions)
	}
}

func date(r *rawRecord) string { return r.eventTime.UTC().Format(time.DateOnly) }

func sortBy[T any](xs []T, key func(T) time.Time) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && key(xs[j]).Before(key(xs[j-1])); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := defaults(t)
	c := testConfig(filepath.Join(tempRoot, "again"))
	if _, err := Generate(c); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(a.dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a.dir, p)
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(c.Out, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs between two runs with the same seed", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Seed = 2
	c.Out = filepath.Join(tempRoot, "seed2")
	if _, err := Generate(c); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a.dir, "truth.jsonl.gz"))
	y, _ := os.ReadFile(filepath.Join(c.Out, "truth.jsonl.gz"))
	if bytes.Equal(x, y) {
		t.Error("seeds 1 and 2 give the same truth")
	}
}

func TestEveryDeadLetterReason(t *testing.T) {
	d := defaults(t)
	for _, r := range reasonNames[1:] {
		if d.summary.DeadLetterReasons[r] == 0 {
			t.Errorf("no %s record", r)
		}
	}
	bad := float64(d.summary.Outcomes["dead_letter"]) / float64(d.summary.Records)
	if bad < 0.012 || bad > 0.03 {
		t.Errorf("dead letters are %.3f of records, want about 0.02", bad)
	}
	if n := d.summary.Records; n < 18000 || n > 22000 {
		t.Errorf("%d records for --events 20000", n)
	}
}

func TestCorruptGzip(t *testing.T) {
	d := defaults(t)
	var broken []rawFileData
	for _, f := range d.files {
		if f.truncated {
			broken = append(broken, f)
		}
		if f.gzip && !bytes.Equal(f.header[3:10], []byte{0, 0, 0, 0, 0, 0, 255}) {
			t.Errorf("%s: gzip header % x carries a name, flags or a modification time", f.rel, f.header)
		}
	}
	if len(broken) != 1 || broken[0].rel != d.summary.CorruptFile {
		t.Fatalf("truncated files %d, summary names %q", len(broken), d.summary.CorruptFile)
	}
	f := broken[0]
	// Count complete lines as compress/gzip yields them, independently.
	data, _ := os.ReadFile(filepath.Join(d.dir, f.rel))
	zr, _ := gzip.NewReader(bytes.NewReader(data))
	plain, err := io.ReadAll(zr)
	if err == nil {
		t.Fatal("the corrupt file decompresses without error")
	}
	complete := bytes.Count(plain, []byte("\n"))
	if !strings.HasSuffix(string(plain), "\n") && complete == 0 {
		t.Fatal("nothing readable before the break")
	}
	var tail []truthRecord
	maxLine := 0
	for _, tr := range d.truth {
		if tr.File != f.rel {
			continue
		}
		maxLine = max(maxLine, tr.Line)
		if tr.Reason == "corrupt_gzip" {
			tail = append(tail, tr)
		}
	}
	if len(tail) != 1 || tail[0].Line != complete+1 || tail[0].Index != 0 || maxLine != complete+1 {
		t.Errorf("%d complete lines; truth has corrupt_gzip records %+v and lines up to %d", complete, tail, maxLine)
	}
}

func TestWorld(t *testing.T) {
	d := defaults(t)
	s := d.summary
	for _, o := range []string{"event", "duplicate", "bot", "dead_letter"} {
		if s.Outcomes[o] == 0 {
			t.Errorf("no %s records", o)
		}
	}
	for _, r := range []string{"user_agent", "ip", "rate"} {
		if s.BotRules[r] == 0 {
			t.Errorf("no %s bots", r)
		}
	}
	if p := float64(s.PurchaseVisits) / float64(s.Visits); p < 0.02 || p > 0.04 {
		t.Errorf("%.3f of visits purchase, want 2-4%%", p)
	}

	var exactDup, retried, late, skewed, yearsOff, millis, offset, ipv6, midnight, runaway int
	uas := map[string]bool{}
	lines := map[string]int{}
	sessDates := map[string]map[string]bool{}
	sessFirst := map[string]time.Time{}
	sessLast := map[string]int64{} // unix milliseconds
	for _, tr := range d.truth {
		r := d.byKey[tr.key()]
		if tr.Outcome == "dead_letter" {
			continue
		}
		lines[string(r.lineBytes)]++
		if lines[string(r.lineBytes)] == 2 {
			exactDup++
		}
		if tr.Outcome == "duplicate" && lines[string(r.lineBytes)] == 1 {
			retried++
		}
		truthTime, _ := time.Parse(time.RFC3339Nano, tr.EventTime)
		if r.received.Sub(truthTime) > time.Hour {
			late++
		}
		if skew := r.created.Sub(truthTime).Abs(); skew > time.Minute {
			skewed++
			if skew > 365*24*time.Hour {
				yearsOff++
			}
		}
		if bytes.Contains(r.raw, []byte(`"created_at":1`)) {
			millis++
		}
		if bytes.Contains(r.raw, []byte(`+01:00"`)) || bytes.Contains(r.raw, []byte(`-05:00"`)) {
			offset++
		}
		if strings.Contains(r.ip, ":") {
			ipv6++
		}
		if tr.Outcome == "event" {
			uas[r.ua] = true
			if sessDates[tr.Session] == nil {
				sessDates[tr.Session] = map[string]bool{}
			}
			if first, ok := sessFirst[tr.Session]; !ok || truthTime.Before(first) {
				sessFirst[tr.Session] = truthTime
			}
			sessDates[tr.Session][tr.EventDate] = true
			sessLast[tr.Session] = max(sessLast[tr.Session], truthTime.UnixMilli())
		}
	}
	for s, dates := range sessDates {
		if len(dates) > 1 && sessFirst[s].Sub(sessFirst[s].Truncate(24*time.Hour)) > 20*time.Hour {
			midnight++
		}
		// A runaway's rows follow each other with no gap: a row that ends
		// at 23:59 and a next one of the device, d#n+1, from 00:00.
		device, n, _ := strings.Cut(s, "#")
		next, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("truth session %q", s)
		}
		nextSession := fmt.Sprintf("%s#%d", device, next+1)
		if first, ok := sessFirst[nextSession]; ok && first.UnixMilli()-sessLast[s] < (30*time.Minute).Milliseconds() {
			runaway++
		}
	}
	for name, n := range map[string]int{"exact duplicate lines": exactDup, "retried sends": retried, "late records": late,
		"skewed clocks": skewed, "clocks years off": yearsOff, "epoch-millis timestamps": millis, "offset timestamps": offset,
		"IPv6 addresses": ipv6, "visits across midnight": midnight, "runaway kiosk sessions": runaway} {
		if n == 0 {
			t.Errorf("no %s", name)
		}
	}
	if len(uas) < 500 {
		t.Errorf("only %d distinct user agents among human events", len(uas))
	}
	for ua := range uas {
		if isBotUA(ua) || strings.Contains(ua, "okhttp") {
			t.Errorf("human user agent %q", ua)
		}
	}
}

// TestIdentity checks the logins: anonymous browsing then login on the
// same device, a later-day login, and shared devices.
func TestIdentity(t *testing.T) {
	d := multiDay(t)
	type devState struct {
		anonDates map[string]bool
		users     map[string]bool
		persons   map[string]bool
		loginLate bool
	}
	devs := map[string]*devState{}
	for _, tr := range d.truth {
		if tr.Outcome != "event" {
			continue
		}
		s := devs[tr.DeviceID]
		if s == nil {
			s = &devState{anonDates: map[string]bool{}, users: map[string]bool{}, persons: map[string]bool{}}
			devs[tr.DeviceID] = s
		}
		s.persons[tr.PersonID] = true
		if tr.UserID == nil {
			s.anonDates[tr.EventDate] = true
			continue
		}
		s.users[*tr.UserID] = true
		if r := d.byKey[tr.key()]; r.eventType == "login" {
			for day := range s.anonDates {
				if day < tr.EventDate {
					s.loginLate = true
				}
			}
		}
	}
	var anonThenUser, shared, late int
	for _, s := range devs {
		if len(s.anonDates) > 0 && len(s.users) > 0 {
			anonThenUser++
		}
		if len(s.users) > 1 && len(s.persons) > 1 {
			shared++
		}
		if s.loginLate {
			late++
		}
	}
	if anonThenUser == 0 || shared == 0 || late == 0 {
		t.Errorf("devices: %d anonymous then logged in, %d shared, %d logging in on a later day", anonThenUser, shared, late)
	}
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if _, err := ParseFlags([]string{"--help"}, &out); err == nil {
		t.Fatal("--help did not stop")
	}
	for _, f := range []string{"seed", "events", "start", "days", "out", "files_per_day", "gzip", "bad_rate", "dup_rate", "flat", "spike", "spike_factor", "outage", "anomaly_stream"} {
		if !strings.Contains(out.String(), "-"+f) {
			t.Errorf("--help does not document --%s", f)
		}
	}
	cfg, err := ParseFlags([]string{"--out", "x"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := testConfig("x")
	want.Events = 200000
	want.SpikeFactor = 4
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Errorf("defaults %+v, want %+v", cfg, want)
	}
}

// TestVerifyDir checks an existing output directory, e.g. of a large run,
// with the reference reader: GENERATE_VERIFY_DIR=/tmp/gen1m go test -run VerifyDir.
func TestVerifyDir(t *testing.T) {
	dir := os.Getenv("GENERATE_VERIFY_DIR")
	if dir == "" {
		t.Skip("GENERATE_VERIFY_DIR is not set")
	}
	js, err := os.ReadFile(filepath.Join(dir, "truth_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := &dataset{dir: dir, summary: &Summary{}}
	if err := json.Unmarshal(js, d.summary); err != nil {
		t.Fatal(err)
	}
	d.truth, d.files = readTruth(t, dir), readRaw(t, dir)
	d.records = readRecords(d.files)
	d.byKey = make(map[recKey]*rawRecord, len(d.records))
	for i := range d.records {
		d.byKey[d.records[i].key] = &d.records[i]
	}
	verify(t, d)
}

func BenchmarkGenerate(b *testing.B) {
	cfg := testConfig(b.TempDir())
	cfg.Events = 100000
	for b.Loop() {
		if _, err := Generate(cfg); err != nil {
			b.Fatal(err)
		}
	}
}
