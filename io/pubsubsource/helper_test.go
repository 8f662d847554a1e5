package pubsubsource

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn4x1[context.Context, beam.EventTime, schemas.Record, func(schemas.Delivery), error](&sinkFn{})
	register.Emitter1[schemas.Delivery]()
	register.Function1x1(recordOne)
	register.Function3x1(formatWindowCount)
}

const testProject = "p"

// step orders what the tests record across goroutines: writes of the sink
// and ack requests take the next step, so a write that happened before an
// ack has a smaller step, whatever the clock says.
var step atomic.Int64

// fake is a pstest server with one topic and subscription, recording when
// (at which step) each message was acknowledged.
type fake struct {
	*pstest.Server
	topic, sub string

	mu    sync.Mutex
	acked map[string][]int64 // message id -> steps of its ack requests
}

// ackRecorder sees every Acknowledge request before pstest handles it.
type ackRecorder struct{ f *fake }

func (a ackRecorder) React(req any) (bool, any, error) {
	at := step.Add(1)
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	for _, id := range req.(*pubsubpb.AcknowledgeRequest).AckIds {
		msg := id[:strings.LastIndex(id, ":")]
		a.f.acked[msg] = append(a.f.acked[msg], at)
	}
	return false, nil, nil
}

// newFake starts a pstest server with a topic and a subscription whose ack
// deadline is ackDeadline, and the given reactors.
func newFake(t testing.TB, ackDeadline time.Duration, reactors ...pstest.ServerReactorOption) *fake {
	t.Helper()
	f := &fake{acked: map[string][]int64{}}
	f.Server = pstest.NewServer(append(reactors, pstest.ServerReactorOption{FuncName: "Acknowledge", Reactor: ackRecorder{f}})...)
	t.Cleanup(func() { f.Close() })
	f.topic = "projects/" + testProject + "/topics/events"
	f.sub = "projects/" + testProject + "/subscriptions/events-sub"
	ctx := context.Background()
	if _, err := f.GServer.CreateTopic(ctx, &pubsubpb.Topic{Name: f.topic}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GServer.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: f.sub, Topic: f.topic, AckDeadlineSeconds: int32(ackDeadline / time.Second),
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fake) options() ReadOptions {
	return ReadOptions{Project: testProject, Subscription: "events-sub", Endpoint: f.Addr}
}

// ackSteps returns the steps at which message id was acknowledged.
func (f *fake) ackSteps(id string) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acked[id]
}

// store is a test sink's memory: the rows written per message (keyed by the
// message body) and failures to inject.
type store struct {
	mu      sync.Mutex
	records map[string]schemas.Record
	times   map[string]time.Time // body -> element timestamp
	writes  map[string][]int64   // body -> steps of its rows' writes
	failing map[string]int       // body -> failures left to inject
}

var (
	storesMu sync.Mutex
	stores   = map[string]*store{}
)

// newStore registers a store under the test's name.
func newStore(t testing.TB) (string, *store) {
	t.Helper()
	name := t.Name()
	st := &store{records: map[string]schemas.Record{}, times: map[string]time.Time{}, writes: map[string][]int64{}, failing: map[string]int{}}
	storesMu.Lock()
	stores[name] = st
	storesMu.Unlock()
	t.Cleanup(func() {
		storesMu.Lock()
		delete(stores, name)
		storesMu.Unlock()
	})
	return name, st
}

// eventTime returns the element timestamp of the record with body key.
func (st *store) eventTime(key string) time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.times[key]
}

func (st *store) snapshot() (map[string]schemas.Record, map[string][]int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	recs := make(map[string]schemas.Record, len(st.records))
	writes := make(map[string][]int64, len(st.writes))
	for k, v := range st.records {
		recs[k] = v
	}
	for k, v := range st.writes {
		writes[k] = append([]int64(nil), v...)
	}
	return recs, writes
}

// sinkFn is a test sink: it writes one row per beacon element of a record
// (Record.InputRecords) into its store, then emits one Delivery per row,
// the way the pipeline's sinks report written rows.
type sinkFn struct {
	Store string
}

func (fn *sinkFn) ProcessElement(_ context.Context, ts beam.EventTime, r schemas.Record, emit func(schemas.Delivery)) error {
	storesMu.Lock()
	st := stores[fn.Store]
	storesMu.Unlock()
	key := string(r.Data)
	rows := r.InputRecords()
	st.mu.Lock()
	if st.failing[key] > 0 {
		st.failing[key]--
		st.mu.Unlock()
		return fmt.Errorf("injected write failure for %q", key)
	}
	st.records[key] = r
	st.times[key] = ts.ToTime()
	for range rows {
		st.writes[key] = append(st.writes[key], step.Add(1))
	}
	st.mu.Unlock()
	for range rows {
		emit(schemas.Delivery{AckID: r.AckID, Rows: rows, Published: r.Arrived, Watermark: r.Watermark})
	}
	return nil
}

// readAndAck builds Read -> sink -> Acknowledge and returns the ack counts.
func readAndAck(s beam.Scope, o ReadOptions, storeName string) beam.PCollection {
	records := Read(s, o)
	delivered := beam.ParDo(s, &sinkFn{Store: storeName}, records)
	return Acknowledge(s, o, delivered)
}

// windowCounts counts records per fixed window of size and returns
// PCollection<string> "<window start> <count>" in the global window.
func windowCounts(s beam.Scope, records beam.PCollection, size time.Duration) beam.PCollection {
	ones := beam.ParDo(s, recordOne, records)
	counted := stats.Count(s, beam.WindowInto(s, window.NewFixedWindows(size), ones))
	return beam.WindowInto(s, window.NewGlobalWindows(), beam.ParDo(s, formatWindowCount, counted))
}

func recordOne(schemas.Record) string { return "n" }

func formatWindowCount(w beam.Window, _ string, n int) string {
	return windowCount(w.(window.IntervalWindow).Start.ToTime(), n)
}

func windowCount(start time.Time, n int) string {
	return fmt.Sprintf("%s %d", start.UTC().Format(time.RFC3339), n)
}

// counter returns the value of pubsub/name in a run's metrics.
func counter(res beam.PipelineResult, name string) int64 {
	var n int64
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Namespace() == "pubsub" && c.Name() == name {
			n += c.Result()
		}
	}
	return n
}

// fakeClock is a clock that moves only when a test moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// advance moves the clock by d and returns the new time.
func (c *fakeClock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// reactorFunc is a pstest reactor that watches requests and lets pstest
// handle them. It runs under pstest's lock: it must not call the server.
type reactorFunc func(req any)

func (r reactorFunc) React(req any) (bool, any, error) {
	r(req)
	return false, nil, nil
}
