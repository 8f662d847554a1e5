package sqltruth_test

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestMain generates the shared sample and runs the batch pipeline on it
// once, before the tests that read it.
func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	os.Setenv(hashKeyEnv, "sql-test-key")
	tmp, err := os.MkdirTemp("", "clickstream-sql-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = tmp
	shared, err = newSample("two-days", groundtruth.GenerateShared)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "shared sample:", err)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// sqlDir holds the queries under test.
const sqlDir = ".."

// rawEvent is what the test reads of an event in the raw files: the truth
// does not carry event types or payloads.
type rawEvent struct {
	EventType   string   `json:"event_type"`
	PageURL     string   `json:"page_url"`
	Referrer    string   `json:"referrer"`
	SearchQuery string   `json:"search_query"`
	ProductID   string   `json:"product_id"`
	CategoryID  string   `json:"category_id"`
	Price       *float64 `json:"price"`
	Quantity    *int64   `json:"quantity"`
	Revenue     *float64 `json:"revenue"`
	Currency    string   `json:"currency"`
	Items       []struct {
		ItemID       string  `json:"item_id"`
		ItemCategory string  `json:"item_category"`
		Price        float64 `json:"price"`
		Quantity     int64   `json:"quantity"`
		Currency     string  `json:"currency"`
	} `json:"items"`
}

// event is an accepted event: the truth's time, date and session, and the
// raw file's payload.
type event struct {
	groundtruth.Record
	rawEvent
}

// selfReferral reports whether e came from a page of the site itself with
// no campaign: a referrer with a host, and the truth's (direct) source. At
// one instant such an event comes after the others, as in fact_sessions.
func (e *event) selfReferral() bool {
	u, err := url.Parse(e.Referrer)
	return e.TrafficSource == "(direct)" && err == nil && u.Host != ""
}

// session is a truth session: its events in time order (at one instant, a
// self-referral after the others, then by event id).
type session struct {
	id     string // the truth's <device_id>#<n>
	date   string // UTC date of its first event
	device string
	events []*event
}

func (s *session) start() time.Time { return s.events[0].EventTime }

func (s *session) count(eventType string) int {
	n := 0
	for _, e := range s.events {
		if e.EventType == eventType {
			n++
		}
	}
	return n
}

// anonymous says whether no event of the session carried a user_id.
func (s *session) anonymous() bool {
	for _, e := range s.events {
		if e.UserID != nil {
			return false
		}
	}
	return true
}

// revenue is the session's purchase revenue per currency, as the figures
// "revenue <currency>" ('unknown' for purchases that named none) that
// fromResult reads from an analysis' currencies and revenues arrays. A
// purchase without revenue adds 0 in its currency.
func (s *session) revenue() figures {
	f := figures{}
	for _, e := range s.events {
		if e.EventType != "purchase" {
			continue
		}
		v := 0.0
		if e.Revenue != nil {
			v = *e.Revenue
		}
		f["revenue "+cmp.Or(e.Currency, "unknown")] += v
	}
	return f
}

// with returns f with the figures of more added.
func with(f, more figures) figures {
	for k, v := range more {
		f[k] += v
	}
	return f
}

// roundRevenue rounds f's per-currency revenues and item revenues to the
// cent, as the analyses do.
func roundRevenue(f figures) {
	for k, v := range f {
		if strings.HasPrefix(k, "revenue ") || strings.HasPrefix(k, "item_revenue ") {
			f[k] = round(v, 2)
		}
	}
}

// firstPage is the first event with a page URL, or nil.
func (s *session) firstPage() *event {
	for _, e := range s.events {
		if e.PageURL != "" {
			return e
		}
	}
	return nil
}

// paths is the page paths in order, consecutive repeats collapsed, at most
// limit.
func (s *session) paths(limit int) []string {
	var out []string
	for _, e := range s.events {
		p := pagePath(e.PageURL)
		if p != "" && len(out) < limit && (len(out) == 0 || out[len(out)-1] != p) {
			out = append(out, p)
		}
	}
	return out
}

func pagePath(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// sample is a warehouse built by the real pipeline from generated data, and
// the generator's truth about that data.
type sample struct {
	dir       string // generated data
	warehouse string
	sessions  []*session
	// pipelineSession and journeyKey map a truth session to its
	// fact_sessions row's session_id and journey key (resolved_user_key, or
	// the device), read from the warehouse for the attribution check only.
	pipelineSession map[string]string
	journeyKey      map[string]string
	first, last     models.Date
}

var (
	shared  *sample // the shared sample, built by TestMain
	tmpRoot string  // holds the samples; removed after the tests
)

// newSample generates data with generate into a directory of its own, runs
// the batch pipeline on it into a fresh warehouse and reads the truth.
func newSample(name string, generate func(dir string) error) (*sample, error) {
	data := filepath.Join(tmpRoot, name, "data")
	if err := generate(data); err != nil {
		return nil, err
	}
	geoDB, err := groundtruth.GeoDB(data)
	if err != nil {
		return nil, err
	}
	s := &sample{dir: data, warehouse: filepath.Join(tmpRoot, name, "warehouse")}
	sum, err := pipelines.Run(context.Background(), pipelines.Config{
		Input:      []string{filepath.Join(data, "raw", "*", "*")},
		Output:     s.warehouse,
		HashKeyRef: "env:" + hashKeyEnv,
		BotIPFile:  filepath.Join(data, "bot_ip_denylist.txt"),
		GeoDB:      geoDB,
		Shards:     16,
	})
	if err != nil {
		return nil, err
	}
	if !sum.Reconciled {
		return nil, fmt.Errorf("pipeline run not reconciled: %v", sum.Problems)
	}
	return s, s.readTruth()
}

// hashKeyEnv holds the pipeline's pseudonymization key in the tests.
const hashKeyEnv = "CLICKSTREAM_SQL_TEST_KEY"

// readTruth reads the truth's accepted events, their payloads from the raw
// files, and groups them into the truth's sessions.
func (s *sample) readTruth() error {
	var events []*event
	need := map[string]map[int64]bool{} // file -> lines
	truth, err := groundtruth.Read(s.dir)
	if err != nil {
		return err
	}
	for _, r := range truth {
		if r.Outcome != "event" {
			continue
		}
		events = append(events, &event{Record: r})
		if need[r.File] == nil {
			need[r.File] = map[int64]bool{}
		}
		need[r.File][r.Line] = true
	}
	lines := map[string][]byte{}
	for file, want := range need {
		err := readLines(filepath.Join(s.dir, filepath.FromSlash(file)), want, func(n int64, line []byte) {
			lines[fmt.Sprintf("%s:%d", file, n)] = line
		})
		if err != nil {
			return err
		}
	}
	bySession := map[string]*session{}
	for _, e := range events {
		line, ok := lines[fmt.Sprintf("%s:%d", e.File, e.Line)]
		if !ok {
			return fmt.Errorf("%s: line not found in the raw file", e.Key())
		}
		raw, err := eventAt(line, e.Index)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Key(), err)
		}
		if err := json.Unmarshal(raw, &e.rawEvent); err != nil {
			return fmt.Errorf("%s: %w", e.Key(), err)
		}
		e.EventType = strings.ToLower(e.EventType)
		ss := bySession[e.Session]
		if ss == nil {
			ss = &session{id: e.Session, device: e.DeviceID}
			bySession[e.Session] = ss
			s.sessions = append(s.sessions, ss)
		}
		ss.events = append(ss.events, e)
	}
	for _, ss := range s.sessions {
		sort.Slice(ss.events, func(i, j int) bool {
			a, b := ss.events[i], ss.events[j]
			if !a.EventTime.Equal(b.EventTime) {
				return a.EventTime.Before(b.EventTime)
			}
			if a.selfReferral() != b.selfReferral() {
				return b.selfReferral()
			}
			return a.EventID < b.EventID
		})
		ss.date = ss.events[0].EventDate
	}
	sort.Slice(s.sessions, func(i, j int) bool { return s.sessions[i].id < s.sessions[j].id })
	dates := map[string]bool{}
	for _, e := range events {
		dates[e.EventDate] = true
	}
	var sorted []string
	for d := range dates {
		sorted = append(sorted, d)
	}
	sort.Strings(sorted)
	s.first, _ = models.ParseDate(sorted[0])
	s.last, _ = models.ParseDate(sorted[len(sorted)-1])
	return nil
}

// readLines calls fn with each wanted line of a raw file, gzip or not
// (detected from the content). A truncated gzip file yields the lines before
// the cut, which are all the truth refers to.
func readLines(path string, want map[int64]bool, fn func(int64, []byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	lr := bufio.NewReaderSize(r, 1<<16)
	for n := int64(1); ; n++ {
		line, err := lr.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil // the cut of a truncated gzip file
		}
		if want[n] && len(line) > 0 {
			fn(n, bytes.TrimRight(line, "\r\n"))
		}
		if err != nil {
			return nil
		}
	}
}

// eventAt is the index-th event of a raw line: the line itself, or an
// element of a beacon's events.
func eventAt(line []byte, index int64) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, err
	}
	batch, ok := obj["events"]
	if !ok {
		if index != 0 {
			return nil, fmt.Errorf("index %d of a single event", index)
		}
		return line, nil
	}
	var events []json.RawMessage
	if err := json.Unmarshal(batch, &events); err != nil {
		return nil, err
	}
	if index >= int64(len(events)) {
		return nil, fmt.Errorf("beacon has %d events", len(events))
	}
	return events[index], nil
}

// figures is one row of figures, by column name; rows are keyed by the
// text of their key columns.
type figures map[string]float64

type table map[string]figures

func (tb table) add(key string, f figures) {
	row := tb[key]
	if row == nil {
		row = figures{}
		tb[key] = row
	}
	for k, v := range f {
		row[k] += v
	}
}

// fromResult reads the named columns of a result, keyed by keyCols. Rows
// with the same key are summed (a coarser grain than the query's); _rows
// counts them.
func fromResult(t *testing.T, res *warehousesql.Result, keyCols, cols []string) table {
	t.Helper()
	tb := table{}
	for _, row := range res.Rows {
		var key []string
		for _, c := range keyCols {
			i := res.Column(c)
			if i < 0 {
				t.Fatalf("no column %s in %v", c, res.Columns)
			}
			key = append(key, cell(row[i]))
		}
		f := figures{"_rows": 1}
		for _, c := range cols {
			i := res.Column(c)
			if i < 0 {
				t.Fatalf("no column %s in %v", c, res.Columns)
			}
			if name, ok := perCurrency[c]; ok {
				currencies, values := list(t, row[res.Column("currencies")]), list(t, row[i])
				if len(currencies) != len(values) {
					t.Fatalf("currencies %v and %s %v are not parallel", currencies, c, values)
				}
				for j, cur := range currencies {
					f[name+" "+cell(cur)] = number(t, c, values[j])
				}
				continue
			}
			f[c] = number(t, c, row[i])
		}
		tb.add(strings.Join(key, "|"), f)
	}
	return tb
}

// perCurrency are the analyses' arrays parallel to their currencies array,
// and the figure each element becomes: revenues' element for EUR is
// "revenue EUR".
var perCurrency = map[string]string{
	"revenues":             "revenue",
	"item_revenues":        "item_revenue",
	"revenues_per_session": "revenue_per_session",
	"shares_of_revenue":    "share_of_revenue",
}

// list is an array cell: nil for NULL.
func list(t *testing.T, v any) []any {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%T is not an array", v)
	}
	return l
}

func cell(v any) string {
	if d, ok := v.(time.Time); ok {
		return d.Format(time.DateOnly)
	}
	return fmt.Sprint(v)
}

func number(t *testing.T, col string, v any) float64 {
	switch v := v.(type) {
	case nil:
		return 0
	case int64:
		return float64(v)
	case float64:
		return v
	}
	t.Fatalf("column %s: %T is not a number", col, v)
	return 0
}

// compare checks the query's figures against the truth's, row by row: the
// same keys, counts equal, money within the rounding of the summed rows,
// rates within their rounding to 4 decimals.
func compare(t *testing.T, got, want table) {
	t.Helper()
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 15 {
			t.Errorf(format, args...)
		}
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			report("row %q: missing from the query's result, truth %v", k, want[k])
			continue
		}
		for col, w := range want[k] {
			if math.Abs(g[col]-w) > tolerance(col, g["_rows"]) {
				report("row %q: %s = %v, truth %v", k, col, g[col], w)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			report("row %q: in the query's result %v, not in the truth", k, got[k])
			continue
		}
		for col, v := range g {
			if _, ok := want[k][col]; !ok && strings.Contains(col, " ") && v != 0 {
				report("row %q: %s = %v, none in the truth", k, col, v)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d differences from the truth", bad)
	}
}

func tolerance(col string, rows float64) float64 {
	switch {
	case strings.Contains(col, "revenue"):
		return 0.006*max(rows, 1) + 1e-9
	case strings.Contains(col, "rate") || strings.Contains(col, "share"):
		return 0.00006
	case strings.HasPrefix(col, "avg_"):
		return 0.006
	}
	return 0
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0 // NULL reads as 0
	}
	return round(a/b, 4)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *sample) run(t *testing.T, w *warehousesql.Warehouse, name string, p warehousesql.Params) *warehousesql.Result {
	t.Helper()
	res, err := w.RunFile(context.Background(), warehousesql.QueryPath(sqlDir, name), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 0 {
		t.Fatalf("%s returned no rows", name)
	}
	return res
}

func (s *sample) dates() warehousesql.Params {
	return warehousesql.Params{"start_date": s.first, "end_date": s.last, "lookback_days": int64(30)}
}

// TestQueriesAgainstTruth runs every query of sql/ on a warehouse the
// pipeline built from generated data, and compares its key figures with
// figures computed from the generator's truth and the raw files alone.
func TestQueriesAgainstTruth(t *testing.T) {
	s := shared
	w, err := warehousesql.Open(context.Background(), s.warehouse)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if first, last, _ := w.DateRange(); first != s.first || last != s.last {
		t.Errorf("warehouse dates %s..%s, truth %s..%s", first, last, s.first, s.last)
	}
	s.readPipelineSessions(t, w)
	checks := map[string]func(*testing.T, *warehousesql.Warehouse){
		"daily_funnel":                 s.checkDailyFunnel,
		"conversion_by_source_device":  s.checkConversionBySource,
		"cart_abandonment":             s.checkCartAbandonment,
		"landing_pages":                s.checkLandingPages,
		"top_paths_to_purchase":        s.checkTopPaths,
		"attribution_first_last_touch": s.checkAttribution,
		"product_performance":          s.checkProductPerformance,
		"search_terms":                 s.checkSearchTerms,
		"cohort_retention_weekly":      s.checkCohortRetention,
		"closed_funnel":                s.checkClosedFunnel,
		"next_pages":                   s.checkNextPages,
		"new_vs_returning":             s.checkNewVsReturning,
	}
	names, err := warehousesql.Queries(sqlDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		check, ok := checks[name]
		if !ok {
			t.Errorf("sql/%s.sql has no check against the truth here", name)
			continue
		}
		t.Run(name, func(t *testing.T) { check(t, w) })
	}
}

// readPipelineSessions maps each truth session to the pipeline's session_id
// through its events' source records, and reads each session's journey key
// (resolved_user_key, else the device) as attribution uses it. Which user a
// session resolves to is the identity bridge's business, tested with the
// pipeline; here it only tells which sessions attribution may join.
func (s *sample) readPipelineSessions(t *testing.T, w *warehousesql.Warehouse) {
	t.Helper()
	rows, err := w.Run(context.Background(), `
		SELECT e.source, e.source_line, e.beacon_index, e.session_id,
		       COALESCE(s.resolved_user_key, CONCAT('device:', s.device_id)) AS journey_key
		FROM fact_events AS e
		JOIN fact_sessions AS s ON s.session_id = e.session_id
		WHERE e.event_date BETWEEN @start_date AND @end_date`, s.dates())
	if err != nil {
		t.Fatal(err)
	}
	byRecord := map[string][2]string{}
	for _, r := range rows.Rows {
		rel, err := filepath.Rel(s.dir, r[0].(string))
		if err != nil {
			t.Fatal(err)
		}
		byRecord[fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), r[1], r[2])] = [2]string{r[3].(string), r[4].(string)}
	}
	s.pipelineSession = map[string]string{}
	s.journeyKey = map[string]string{}
	for _, ss := range s.sessions {
		p, ok := byRecord[ss.events[0].Key()]
		if !ok {
			t.Fatalf("truth session %s: its first event %s has no session in the warehouse", ss.id, ss.events[0].Key())
		}
		s.pipelineSession[ss.id], s.journeyKey[ss.id] = p[0], p[1]
	}
}

func (s *sample) checkDailyFunnel(t *testing.T, w *warehousesql.Warehouse) {
	identified := map[string]bool{} // devices with a login in the data
	for _, ss := range s.sessions {
		if !ss.anonymous() {
			identified[ss.device] = true
		}
	}
	want, anonymous := table{}, table{}
	for _, ss := range s.sessions {
		want.add(ss.date, with(figures{
			"sessions":               1,
			"product_view_sessions":  b2f(ss.count("product_view") > 0),
			"add_to_cart_sessions":   b2f(ss.count("add_to_cart") > 0),
			"checkout_sessions":      b2f(ss.count("checkout_start") > 0),
			"converting_sessions":    b2f(ss.count("purchase") > 0),
			"avg_events_per_session": float64(len(ss.events)),
		}, ss.revenue()))
		// The identity bridge may resolve an anonymous session of a device
		// that logs in at some point, never one of a device that does not.
		anonymous.add(ss.date, figures{"most": b2f(ss.anonymous()), "least": b2f(ss.anonymous() && !identified[ss.device])})
	}
	for day, f := range want {
		f["conversion_rate"] = ratio(f["converting_sessions"], f["sessions"])
		f["avg_events_per_session"] = round(f["avg_events_per_session"]/f["sessions"], 2)
		roundRevenue(f)
		t.Logf("%s: %v sessions, %v converting, %v-%v anonymous", day, f["sessions"], f["converting_sessions"], anonymous[day]["least"], anonymous[day]["most"])
	}
	cols := []string{"sessions", "product_view_sessions", "add_to_cart_sessions", "checkout_sessions",
		"converting_sessions", "conversion_rate", "avg_events_per_session", "revenues"}
	got := fromResult(t, s.run(t, w, "daily_funnel", s.dates()), []string{"day"}, append(cols, "anonymous_sessions"))
	compare(t, got, want)
	for day, a := range anonymous {
		if n := got[day]["anonymous_sessions"]; n < a["least"] || n > a["most"] {
			t.Errorf("%s: %v anonymous sessions, truth between %v and %v", day, n, a["least"], a["most"])
		}
	}

	// One day only: the partition filter selects exactly that day's sessions.
	p := s.dates()
	p["start_date"], p["end_date"] = s.last, s.last
	compare(t, fromResult(t, s.run(t, w, "daily_funnel", p), []string{"day"}, cols), table{s.last.String(): want[s.last.String()]})
}

// checkConversionBySource compares sessions, conversions and revenue per
// default channel group, source and medium (the truth's, of the session's
// first event). Device type is the pipeline's classification of user
// agents, which the truth does not know: the query's rows are summed over
// it.
func (s *sample) checkConversionBySource(t *testing.T, w *warehousesql.Warehouse) {
	want := table{}
	for _, ss := range s.sessions {
		f := ss.events[0]
		want.add(f.DefaultChannelGroup+"|"+f.TrafficSource+"|"+f.TrafficMedium,
			with(figures{"sessions": 1, "converting_sessions": b2f(ss.count("purchase") > 0)}, ss.revenue()))
	}
	res := s.run(t, w, "conversion_by_source_device", s.dates())
	compare(t, fromResult(t, res, []string{"default_channel_group", "traffic_source", "traffic_medium"},
		[]string{"sessions", "converting_sessions", "revenues"}), want)
}

func (s *sample) checkCartAbandonment(t *testing.T, w *warehousesql.Warehouse) {
	want := table{}
	for _, ss := range s.sessions {
		cart, bought := ss.count("add_to_cart") > 0, ss.count("purchase") > 0
		want.add(ss.date, figures{
			"cart_sessions":         b2f(cart),
			"abandoned_sessions":    b2f(cart && !bought),
			"abandoned_in_checkout": b2f(cart && !bought && ss.count("checkout_start") > 0),
		})
	}
	res := s.run(t, w, "cart_abandonment", s.dates())
	compare(t, fromResult(t, res, []string{"day"}, []string{"cart_sessions", "abandoned_sessions", "abandoned_in_checkout"}), want)
}

// checkLandingPages compares sessions, bounces, conversions and revenue per
// landing page exactly. Engagement (over 10 s) is compared within bounds:
// the truth has true times, the pipeline skew-corrected ones that are up to
// 0.8 s later per send, so a session within a second of 10 s may go either way.
func (s *sample) checkLandingPages(t *testing.T, w *warehousesql.Warehouse) {
	want, engaged := table{}, table{}
	for _, ss := range s.sessions {
		landing := "(none)"
		if e := ss.firstPage(); e != nil {
			landing = pagePath(e.PageURL)
		}
		want.add(landing, with(figures{
			"sessions":            1,
			"bounces":             b2f(len(ss.events) == 1),
			"converting_sessions": b2f(ss.count("purchase") > 0),
		}, ss.revenue()))
		d := ss.events[len(ss.events)-1].EventTime.Sub(ss.start()).Seconds()
		sure := d > 11 || ss.count("page_view")+ss.count("product_view") >= 2 || ss.count("purchase") > 0
		engaged.add(landing, figures{"sure": b2f(sure), "maybe": b2f(sure || d > 9)})
	}
	res := s.run(t, w, "landing_pages", s.dates())
	got := fromResult(t, res, []string{"landing_page_path"}, []string{"sessions", "bounces", "converting_sessions", "revenues", "engaged_sessions"})
	compare(t, got, want)
	for page, e := range engaged {
		if n := got[page]["engaged_sessions"]; n < e["sure"] || n > e["maybe"] {
			t.Errorf("%s: %v engaged sessions, truth between %v and %v", page, n, e["sure"], e["maybe"])
		}
	}
}

func (s *sample) checkTopPaths(t *testing.T, w *warehousesql.Warehouse) {
	all := table{}
	for _, ss := range s.sessions {
		if ss.count("purchase") == 0 {
			continue
		}
		paths := ss.paths(50)
		all.add(strings.Join(paths[:min(5, len(paths))], " > "), with(figures{
			"purchasing_sessions": 1, "avg_path_length": float64(len(paths)),
		}, ss.revenue()))
	}
	var keys []string
	total := 0.0
	for k, f := range all {
		keys = append(keys, k)
		total += f["purchasing_sessions"]
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := all[keys[i]]["purchasing_sessions"], all[keys[j]]["purchasing_sessions"]
		if a != b {
			return a > b
		}
		return keys[i] < keys[j]
	})
	want := table{}
	for _, k := range keys[:min(100, len(keys))] {
		f := all[k]
		f["avg_path_length"] = round(f["avg_path_length"]/f["purchasing_sessions"], 2)
		f["share_of_purchasing_sessions"] = ratio(f["purchasing_sessions"], total)
		roundRevenue(f)
		want[k] = f
	}
	res := s.run(t, w, "top_paths_to_purchase", s.dates())
	compare(t, fromResult(t, res, []string{"path_prefix"}, []string{"purchasing_sessions", "share_of_purchasing_sessions", "avg_path_length", "revenues"}), want)
	t.Logf("%v purchasing sessions, %d distinct prefixes; top: %q (%v)", total, len(keys), keys[0], all[keys[0]]["purchasing_sessions"])
}

// checkAttribution credits each truth purchasing session to its own
// channel group and source (last touch), to those of the first session of
// its journey within the lookback window (first touch), and to those of the
// latest session of the window that is not Direct, else the latest (last
// non-direct click), with a lookback of 30 days and of 0 (the conversion's
// own day). A session's channel group and source are the truth's for its
// first event.
func (s *sample) checkAttribution(t *testing.T, w *warehousesql.Warehouse) {
	byJourney := map[string][]*session{}
	for _, ss := range s.sessions {
		byJourney[s.journeyKey[ss.id]] = append(byJourney[s.journeyKey[ss.id]], ss)
	}
	// later orders touches by start, then by the pipeline's session_id.
	later := func(a, b *session) bool {
		if !a.start().Equal(b.start()) {
			return a.start().After(b.start())
		}
		return s.pipelineSession[a.id] > s.pipelineSession[b.id]
	}
	for _, lookback := range []int{30, 0} {
		t.Run(fmt.Sprintf("lookback_%d", lookback), func(t *testing.T) {
			want := table{}
			crossDevice := 0
			credit := func(model string, c, touch *session) {
				f := touch.events[0]
				want.add(fmt.Sprintf("%s|%s|%s", model, f.DefaultChannelGroup, f.TrafficSource), with(figures{
					"conversions": 1, "cross_device_conversions": b2f(touch.device != c.device),
				}, c.revenue()))
			}
			for _, c := range s.sessions {
				if c.count("purchase") == 0 {
					continue
				}
				cDate, _ := models.ParseDate(c.date)
				first, last, lastNonDirect := c, c, (*session)(nil)
				for _, ss := range byJourney[s.journeyKey[c.id]] {
					d, _ := models.ParseDate(ss.date)
					if ss.start().After(c.start()) || d.Before(cDate.AddDays(-lookback).Time) {
						continue
					}
					if later(first, ss) {
						first = ss
					}
					if later(ss, last) {
						last = ss
					}
					if ss.events[0].DefaultChannelGroup != "Direct" && (lastNonDirect == nil || later(ss, lastNonDirect)) {
						lastNonDirect = ss
					}
				}
				if lastNonDirect == nil {
					lastNonDirect = last
				}
				crossDevice += int(b2f(first.device != c.device))
				credit("first_touch", c, first)
				credit("last_touch", c, c)
				credit("last_non_direct_click", c, lastNonDirect)
			}
			p := s.dates()
			p["lookback_days"] = int64(lookback)
			res := s.run(t, w, "attribution_first_last_touch", p)
			compare(t, fromResult(t, res, []string{"model", "default_channel_group", "traffic_source"}, []string{"conversions", "revenues", "cross_device_conversions"}), want)
			t.Logf("first touch on another device than the purchase: %d conversions", crossDevice)
		})
	}
}

// checkProductPerformance counts a product's events under its product and
// category whatever currency they name, and its items' revenue per
// currency: the item's, else its purchase's, else "unknown".
func (s *sample) checkProductPerformance(t *testing.T, w *warehousesql.Warehouse) {
	want := s.productPerformance()
	res := s.run(t, w, "product_performance", s.dates())
	cols := []string{"product_views", "viewing_sessions", "add_to_carts", "units_added", "cart_sessions",
		"units_purchased", "purchasing_sessions", "item_revenues", "view_to_purchase_rate"}
	compare(t, fromResult(t, res, []string{"product_id", "category_id"}, cols), want)
	bought := 0.0
	for _, f := range want {
		bought += f["units_purchased"]
	}
	t.Logf("%d products, %v units bought", len(want), bought)
}

// productPerformance is product_performance's truth, keyed by product and
// category.
func (s *sample) productPerformance() table {
	want := table{}
	key := func(product, category string) string { return product + "|" + cmp.Or(category, "(none)") }
	for _, ss := range s.sessions {
		viewed, carted, purchased := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, e := range ss.events {
			qty := 1.0
			if e.Quantity != nil {
				qty = float64(*e.Quantity)
			}
			k := key(e.ProductID, e.CategoryID)
			switch {
			case e.EventType == "purchase":
				for _, it := range e.Items {
					currency := strings.ToUpper(cmp.Or(it.Currency, e.Currency, "unknown"))
					ik := key(it.ItemID, it.ItemCategory)
					want.add(ik, figures{"units_purchased": float64(it.Quantity), "item_revenue " + currency: float64(it.Quantity) * it.Price})
					purchased[ik] = true
				}
			case e.ProductID == "":
			case e.EventType == "product_view":
				want.add(k, figures{"product_views": 1})
				viewed[k] = true
			case e.EventType == "add_to_cart":
				want.add(k, figures{"add_to_carts": 1, "units_added": qty})
				carted[k] = true
			case e.EventType == "remove_from_cart":
				want.add(k, figures{})
			}
		}
		for k := range viewed {
			want.add(k, figures{"viewing_sessions": 1})
		}
		for k := range carted {
			want.add(k, figures{"cart_sessions": 1})
		}
		for k := range purchased {
			want.add(k, figures{"purchasing_sessions": 1})
		}
	}
	for k, f := range want {
		for _, c := range []string{"product_views", "viewing_sessions", "add_to_carts", "units_added", "cart_sessions", "units_purchased", "purchasing_sessions"} {
			f[c] += 0
		}
		roundRevenue(f)
		f["view_to_purchase_rate"] = ratio(f["purchasing_sessions"], f["viewing_sessions"])
		want[k] = f
	}
	return want
}

func (s *sample) checkSearchTerms(t *testing.T, w *warehousesql.Warehouse) {
	want := table{}
	for _, ss := range s.sessions {
		firstSearch := map[string]time.Time{}
		searches := map[string]float64{}
		var lastPurchase time.Time
		for _, e := range ss.events {
			switch e.EventType {
			case "search":
				term := strings.ToLower(strings.Trim(e.SearchQuery, " "))
				if term == "" {
					continue
				}
				if _, ok := firstSearch[term]; !ok {
					firstSearch[term] = e.EventTime
				}
				searches[term]++
			case "purchase":
				lastPurchase = e.EventTime
			}
		}
		for term, at := range firstSearch {
			want.add(term, figures{"searches": searches[term], "sessions": 1, "sessions_followed_by_purchase": b2f(lastPurchase.After(at))})
		}
	}
	for _, f := range want {
		f["purchase_share"] = ratio(f["sessions_followed_by_purchase"], f["sessions"])
	}
	res := s.run(t, w, "search_terms", s.dates())
	compare(t, fromResult(t, res, []string{"search_term"}, []string{"searches", "sessions", "sessions_followed_by_purchase", "purchase_share"}), want)
}
