package storagewrite

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"

	"github.com/example/clickstream/io/bqwarehouse/storagewrite/storagewritetest"
	"github.com/example/clickstream/schemas"
)

func TestMain(m *testing.M) { ptest.Main(m) }

func init() {
	register.DoFn2x0[beam.EventTime, beam.X](&collectFn{})
}

const (
	testProject = "test-project"
	testDataset = "clickstream"
)

func newServer(t testing.TB) *storagewritetest.Server {
	t.Helper()
	srv, err := storagewritetest.NewServer(testProject, testDataset)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// testOptions point Append at srv, with small batches so that a bundle
// sends several requests.
func testOptions(srv *storagewritetest.Server) Options {
	return Options{Project: testProject, Dataset: testDataset, Endpoint: srv.Addr(), MaxBatchRows: 7}
}

// collected holds the elements of the test pipelines' outputs, by key.
var collected = struct {
	sync.Mutex
	elems map[string][]timed
}{elems: map[string][]timed{}}

// timed is an output element and its timestamp.
type timed struct {
	ts   time.Time
	elem any
}

type collectFn struct {
	Key string
}

func (f *collectFn) ProcessElement(ts beam.EventTime, elem beam.X) {
	collected.Lock()
	defer collected.Unlock()
	collected.elems[f.Key] = append(collected.elems[f.Key], timed{ts.ToTime(), elem})
}

func collect(s beam.Scope, key string, col beam.PCollection) (get func() []timed) {
	collected.Lock()
	delete(collected.elems, key)
	collected.Unlock()
	beam.ParDo0(s, &collectFn{Key: key}, col)
	return func() []timed {
		collected.Lock()
		defer collected.Unlock()
		return slices.Clone(collected.elems[key])
	}
}

// outputs is what one run of Append gave.
type outputs struct {
	written  []timed // schemas.Delivery
	rejected []Rejected
	counters map[string]int64
}

// runAppend runs Append of the rows that input builds to table on Prism.
func runAppend(t *testing.T, o Options, table string, input func(beam.Scope) beam.PCollection) (outputs, error) {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	written, rejected := Append(s, o, table, input(s))
	getWritten := collect(s, t.Name()+"/written", written)
	getRejected := collect(s, t.Name()+"/rejected", rejected)
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		return outputs{}, err
	}
	out := outputs{written: getWritten(), counters: map[string]int64{}}
	for _, r := range getRejected() {
		out.rejected = append(out.rejected, r.elem.(Rejected))
	}
	for _, c := range res.Metrics().Query(func(r metrics.SingleResult) bool {
		return r.Namespace() == "storagewrite"
	}).Counters() {
		out.counters[strings.TrimPrefix(c.Name(), table+"_")] += c.Result()
	}
	return out, nil
}

// checkStored checks that the fake holds exactly want in table.
func checkStored[T any](t *testing.T, srv *storagewritetest.Server, table string, want []T, key func(T) string) {
	t.Helper()
	got, err := storagewritetest.Decode[T](srv.Rows(table))
	if err != nil {
		t.Fatalf("decode %s: %v", table, err)
	}
	byKey := func(a, b T) int { return cmp.Compare(key(a), key(b)) }
	got, want = slices.SortedFunc(slices.Values(got), byKey), slices.SortedFunc(slices.Values(want), byKey)
	if len(got) != len(want) {
		t.Errorf("%s holds %d rows, want %d", table, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s row %s:\n got %s\nwant %s", table, key(want[i]), show(got[i]), show(want[i]))
		}
	}
}

// show prints a row with its pointers followed.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// deliveries returns the Delivery of each row, none for a row type without
// one.
func deliveries[T any](rows []T) []schemas.Delivery {
	var out []schemas.Delivery
	for _, r := range rows {
		if f := reflect.ValueOf(r).FieldByName("Delivery"); f.IsValid() {
			out = append(out, f.Interface().(schemas.Delivery))
		}
	}
	return out
}

// checkDeliveries checks that each delivery of want came out exactly once,
// on written or as the Delivery of a rejected row.
func checkDeliveries(t *testing.T, want []schemas.Delivery, out outputs) {
	t.Helper()
	seen := map[string]int{}
	for _, w := range out.written {
		seen[w.elem.(schemas.Delivery).AckID]++
	}
	for _, r := range out.rejected {
		seen[r.Fallback.Delivery.AckID]++
	}
	for _, d := range want {
		if seen[d.AckID] != 1 {
			t.Errorf("delivery %s came out %d times, want once", d.AckID, seen[d.AckID])
		}
		delete(seen, d.AckID)
	}
	for ack, n := range seen {
		t.Errorf("delivery %s came out %d times, want never", ack, n)
	}
}

func checkCounters(t *testing.T, got, want map[string]int64) {
	t.Helper()
	for name, n := range want {
		if got[name] != n {
			t.Errorf("counter %s = %d, want %d", name, got[name], n)
		}
	}
}

func TestAppendRoundTrip(t *testing.T) {
	srv := newServer(t)
	t.Run("fact_events", func(t *testing.T) {
		roundTrip(t, srv, "fact_events", makeEvents("ev", 40), func(e schemas.Event) string { return e.EventID })
	})
	t.Run("bot_events", func(t *testing.T) {
		roundTrip(t, srv, "bot_events", makeBotEvents("bot", 15), func(e schemas.BotEvent) string { return e.EventID })
	})
	t.Run("dead_letter", func(t *testing.T) {
		roundTrip(t, srv, "dead_letter", makeDeadLetters("dl", 9), func(d schemas.DeadLetter) string { return d.Source })
	})
	t.Run("fact_sessions", func(t *testing.T) {
		roundTrip(t, srv, "fact_sessions", makeSessions("ses", 12), func(s schemas.Session) string { return s.SessionID })
	})
}

func roundTrip[T any](t *testing.T, srv *storagewritetest.Server, table string, rows []T, key func(T) string) {
	out, err := runAppend(t, testOptions(srv), table, func(s beam.Scope) beam.PCollection { return beam.CreateList(s, rows) })
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, table, stored(rows), key)
	if len(out.rejected) != 0 {
		t.Errorf("rejected %d rows, want none: %+v", len(out.rejected), out.rejected)
	}
	want := deliveries(rows)
	if len(out.written) != len(want) {
		t.Errorf("written has %d deliveries, want %d", len(out.written), len(want))
	}
	checkDeliveries(t, want, out)
	checkCounters(t, out.counters, map[string]int64{"rows_appended": int64(len(rows)), "rows_rejected": 0, "append_retries": 0})
	if minRequests := int64(len(rows)+6) / 7; out.counters["append_requests"] < minRequests {
		t.Errorf("append_requests = %d, want at least %d (7 rows a request)", out.counters["append_requests"], minRequests)
	}
}

// Requests failing with Unavailable (the server ends the connection) are
// sent again: every row is stored once, none lost or doubled.
func TestAppendTransientFailures(t *testing.T) {
	srv := newServer(t)
	srv.FailNext(3)
	rows := makeEvents("tr", 50)
	out, err := runAppend(t, testOptions(srv), "fact_events", func(s beam.Scope) beam.PCollection { return beam.CreateList(s, rows) })
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "fact_events", stored(rows), func(e schemas.Event) string { return e.EventID })
	checkDeliveries(t, deliveries(rows), out)
	checkCounters(t, out.counters, map[string]int64{"rows_appended": 50, "rows_rejected": 0})
	if out.counters["append_retries"] < 3 {
		t.Errorf("append_retries = %d, want at least 3", out.counters["append_retries"])
	}
	if got := srv.Requests(); got < 3+(50+6)/7 {
		t.Errorf("server received %d requests, want at least %d", got, 3+(50+6)/7)
	}
}

// When the failures outlast MaxAttempts, the bundle fails (and the runner
// would retry it).
func TestAppendGivesUp(t *testing.T) {
	srv := newServer(t)
	srv.FailNext(1000)
	o := testOptions(srv)
	o.MaxAttempts = 3
	rows := makeEvents("up", 5)
	_, err := runAppend(t, o, "fact_events", func(s beam.Scope) beam.PCollection { return beam.CreateList(s, rows) })
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("pipeline error = %v, want one giving up after 3 attempts", err)
	}
	if n := len(srv.Rows("fact_events")); n != 0 {
		t.Errorf("fact_events holds %d rows, want none", n)
	}
}

// Rows the table refuses come out on rejected as dead letters; the other
// rows of their requests are appended, whether BigQuery names every bad row,
// only some (it warns its list may be incomplete) or none.
func TestAppendRejected(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rowErrors int // the most row errors a response names, -1 all
		detail    string
	}{
		{"all named", -1, "fact_events: bad row"},
		{"one named a request", 1, "fact_events: bad row"},
		{"none named", 0, "fact_events: rpc error: code = InvalidArgument desc = Errors found while processing rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.LimitRowErrors(tc.rowErrors)
			srv.RejectRows(func(table string, row storagewritetest.Row) string {
				if id := row["event_id"].(string); table == "fact_events" && isBad(id) {
					return "bad row " + id
				}
				return ""
			})
			rows := makeEvents("rj", 30)
			out, err := runAppend(t, testOptions(srv), "fact_events", func(s beam.Scope) beam.PCollection { return beam.CreateList(s, rows) })
			if err != nil {
				t.Fatal(err)
			}
			var good, bad []schemas.Event
			for _, e := range rows {
				if isBad(e.EventID) {
					bad = append(bad, e)
				} else {
					good = append(good, e)
				}
			}
			checkStored(t, srv, "fact_events", stored(good), func(e schemas.Event) string { return e.EventID })
			checkDeliveries(t, deliveries(rows), out)
			checkCounters(t, out.counters, map[string]int64{"rows_appended": int64(len(good)), "rows_rejected": int64(len(bad))})
			if len(out.written) != len(good) {
				t.Errorf("written has %d deliveries, want %d", len(out.written), len(good))
			}

			// Each refused row comes out once, known by its message.
			rejected := map[string]Rejected{}
			for _, r := range out.rejected {
				rejected[r.Fallback.Delivery.AckID] = r
			}
			if len(rejected) != len(bad) || len(out.rejected) != len(bad) {
				t.Fatalf("rejected %d rows (%d distinct), want %d", len(out.rejected), len(rejected), len(bad))
			}
			for _, e := range bad {
				checkRejectedEvent(t, rejected[e.Delivery.AckID], e, tc.detail)
			}
		})
	}
}

// TestAppendFallbacks: refused rows are replaced by their fallback dead
// letters; a row whose fallback is refused too is unwritable: counted, and
// its delivery settled. Every row's delivery comes out exactly once.
func TestAppendFallbacks(t *testing.T) {
	srv := newServer(t)
	srv.RejectRows(func(table string, row storagewritetest.Row) string {
		switch {
		case table == "fact_events" && isRefused(row["event_id"].(string)):
			return "event refused"
		case table == "dead_letter" && row["beacon_index"].(int64) == 0:
			return "fallback refused"
		}
		return ""
	})
	rows := makeEvents("fb", 30) // events 0, 5, ..., 25 are refused; the fallbacks of 0 and 15 too (beacon 0)
	p, s := beam.NewPipelineWithRoot()
	o := testOptions(srv)
	written, rejected := Append(s, o, "fact_events", beam.CreateList(s, rows))
	fallbackWritten, refused := Append(s, o, "dead_letter", Fallbacks(s, rejected))
	getWritten := collect(s, t.Name()+"/written", beam.Flatten(s, written, fallbackWritten))
	getUnwritable := collect(s, t.Name()+"/unwritable", Unwritable(s, refused))
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	out := outputs{written: append(getWritten(), getUnwritable()...)}
	checkDeliveries(t, deliveries(rows), out)
	var unwritable []string
	for _, u := range getUnwritable() {
		unwritable = append(unwritable, u.elem.(schemas.Delivery).AckID)
	}
	slices.Sort(unwritable)
	if want := []string{"fb-ack-0", "fb-ack-15"}; !slices.Equal(unwritable, want) {
		t.Errorf("unwritable %v, want %v", unwritable, want)
	}
	dead, err := storagewritetest.Decode[schemas.DeadLetter](srv.Rows("dead_letter"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 4 {
		t.Errorf("dead_letter holds %d fallback rows, want 4", len(dead))
	}
	for _, d := range dead {
		if d.Reason != Reason || d.Detail != "fact_events: event refused" {
			t.Errorf("fallback row %+v", d)
		}
		checkHashed(t, d)
	}
	counters := map[string]int64{}
	for _, c := range res.Metrics().Query(func(r metrics.SingleResult) bool { return r.Namespace() == "storagewrite" }).Counters() {
		counters[c.Name()] += c.Result()
	}
	checkCounters(t, counters, map[string]int64{
		"unwritable_rows": 2, "fact_events_rows_rejected": 6, "dead_letter_rows_rejected": 2, "dead_letter_rows_appended": 4,
	})
}

// isRefused picks every fifth event.
func isRefused(eventID string) bool {
	var i int
	if _, err := fmt.Sscanf(eventID[strings.LastIndex(eventID, "-")+1:], "%d", &i); err != nil {
		panic(err)
	}
	return i%5 == 0
}

// isBad picks the rows the fake refuses: several per request, at the start,
// in the middle and at the end of the 7-row requests.
func isBad(eventID string) bool {
	var i int
	if _, err := fmt.Sscanf(eventID[strings.LastIndex(eventID, "-")+1:], "%d", &i); err != nil {
		panic(err)
	}
	return i%7 == 0 || i%7 == 3 || i%11 == 6
}

// checkRejectedEvent checks the fallback dead letter of a refused event:
// BigQuery's reason, the event's source position and message, its date,
// and a hash in place of its values.
func checkRejectedEvent(t *testing.T, r Rejected, e schemas.Event, detail string) {
	t.Helper()
	d := r.Fallback
	if r.Table != "fact_events" || r.Key != "" || d.Reason != Reason || !strings.HasPrefix(d.Detail, detail) {
		t.Errorf("%s: table %q, key %q, reason %q, detail %q; want fact_events, no key, %q, %q...", e.EventID, r.Table, r.Key, d.Reason, d.Detail, Reason, detail)
	}
	if d.Delivery != e.Delivery || !d.DeadLetterDate.Equal(e.EventDate) ||
		d.Source != e.Source || d.SourceLine != e.SourceLine || d.BeaconIndex != e.BeaconIndex {
		t.Errorf("%s: dead letter %+v does not keep the row's delivery, date and source position", e.EventID, d)
	}
	checkHashed(t, d)
}

// checkHashed checks that a fallback dead letter holds a hash of its row
// and no identifier.
func checkHashed(t *testing.T, d schemas.DeadLetter) {
	t.Helper()
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(d.Payload) || d.PayloadBytes <= 0 {
		t.Errorf("payload %q (%d bytes), want sha256:<hex> of the row", d.Payload, d.PayloadBytes)
	}
	if d.EventID != "" || d.DeviceID != "" || d.Attributes != "" {
		t.Errorf("event_id %q, device_id %q, attributes %q: a fallback row keeps none", d.EventID, d.DeviceID, d.Attributes)
	}
}

// A row larger than a request is rejected without being sent; its fallback
// row records the full size.
func TestAppendTooLarge(t *testing.T) {
	srv := newServer(t)
	rows := makeDeadLetters("big", 3)
	rows[1].Payload = strings.Repeat("é", 5<<20)
	out, err := runAppend(t, testOptions(srv), "dead_letter", func(s beam.Scope) beam.PCollection { return beam.CreateList(s, rows) })
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "dead_letter", stored([]schemas.DeadLetter{rows[0], rows[2]}), func(d schemas.DeadLetter) string { return d.Source })
	checkDeliveries(t, deliveries(rows), out)
	if len(out.rejected) != 1 {
		t.Fatalf("rejected %d rows, want 1", len(out.rejected))
	}
	r := out.rejected[0]
	d := r.Fallback
	if r.Table != "dead_letter" || r.Key != schemas.ReasonBadJSON || !strings.Contains(d.Detail, "larger than a request") ||
		d.Source != rows[1].Source || d.SourceLine != rows[1].SourceLine || d.Delivery != rows[1].Delivery {
		t.Errorf("rejected %s/%s: detail %q, source %q line %d, delivery %+v", r.Table, r.Key, d.Detail, d.Source, d.SourceLine, d.Delivery)
	}
	if d.PayloadBytes <= 10<<20 {
		t.Errorf("payload_bytes %d, want the row's full size", d.PayloadBytes)
	}
	checkHashed(t, d)
}

// In streaming, written deliveries keep their row's timestamp.
func TestAppendTestStream(t *testing.T) {
	srv := newServer(t)
	rows := makeEvents("ts", 20)
	con := teststream.NewConfig()
	for i, e := range rows {
		if err := con.AddElements(e.EventTime.UnixMilli(), e); err != nil {
			t.Fatal(err)
		}
		if i == 9 {
			if err := con.AdvanceWatermark(e.EventTime.UnixMilli()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := con.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}
	out, err := runAppend(t, testOptions(srv), "fact_events", func(s beam.Scope) beam.PCollection { return teststream.Create(s, con) })
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "fact_events", stored(rows), func(e schemas.Event) string { return e.EventID })
	checkDeliveries(t, deliveries(rows), out)
	times := map[string]time.Time{}
	for _, e := range rows {
		times[e.Delivery.AckID] = e.EventTime.Truncate(time.Millisecond)
	}
	for _, w := range out.written {
		if ack := w.elem.(schemas.Delivery).AckID; !w.ts.Equal(times[ack]) {
			t.Errorf("delivery %s written at %v, want its row's time %v", ack, w.ts, times[ack])
		}
	}
}

func TestAppendPanics(t *testing.T) {
	o := Options{Project: testProject, Dataset: testDataset}
	for _, tc := range []struct {
		name  string
		o     Options
		table string
		rows  any
	}{
		{"row type of another table", o, "fact_sessions", makeEvents("p", 1)},
		{"no project", Options{Dataset: testDataset}, "fact_events", makeEvents("p", 1)},
		{"unknown table", o, "no_such_table", makeEvents("p", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Append did not panic")
				}
			}()
			_, s := beam.NewPipelineWithRoot()
			Append(s, tc.o, tc.table, beam.CreateList(s, tc.rows))
		})
	}
}
