package pubsubsource

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { ptest.Main(m) }

func TestReadAcknowledge(t *testing.T) {
	f := newFake(t, 10*time.Second)
	bodies := map[string]map[string]string{
		`{"event_id":"e1"}`: {"k": "v1"},
		`{"events":[{"event_id":"e2"},{"event_id":"e3"},{"event_id":"e4"}]}`: {"k": "v2", "batch": "yes"},
		`{"event_id":"e5"}`: nil,
	}
	ids := map[string]string{}
	for b, attrs := range bodies {
		ids[b] = f.Publish(f.topic, []byte(b), attrs)
	}
	name, st := newStore(t)
	o := f.options()
	o.MaxMessages = int64(len(bodies))

	p, s := beam.NewPipelineWithRoot()
	acked := readAndAck(s, o, name)
	passert.Equals(s, stats.Sum(s, acked), int64(len(bodies)))
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}

	recs, writes := st.snapshot()
	for b, attrs := range bodies {
		r, ok := recs[b]
		if !ok {
			t.Errorf("%s: not written", b)
			continue
		}
		if r.Source != "pubsub:events-sub" || r.Line != 0 || r.Size != int64(len(b)) || r.ReadError != "" || r.AckID == "" {
			t.Errorf("%s: record %+v", b, r)
		}
		if len(r.Attributes) != len(attrs) {
			t.Errorf("%s: attributes %v, want %v", b, r.Attributes, attrs)
		}
		for k, v := range attrs {
			if r.Attributes[k] != v {
				t.Errorf("%s: attribute %s = %q, want %q", b, k, r.Attributes[k], v)
			}
		}
		m := f.Message(ids[b])
		if m.Acks != 1 || m.Deliveries != 1 {
			t.Errorf("%s: %d acks, %d deliveries; want 1, 1", b, m.Acks, m.Deliveries)
		}
		if !r.Arrived.Equal(m.PublishTime) {
			t.Errorf("%s: Arrived %v, want publish time %v", b, r.Arrived, m.PublishTime)
		}
		at := f.ackSteps(ids[b])
		if len(at) != 1 {
			t.Fatalf("%s: acknowledged %d times, want 1", b, len(at))
		}
		for _, w := range writes[b] {
			if w >= at[0] {
				t.Errorf("%s: row written at step %d, not before the ack at step %d", b, w, at[0])
			}
		}
	}
}

func TestReadRecordFields(t *testing.T) {
	f := newFake(t, 10*time.Second)
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	type msg struct {
		body  string
		attrs map[string]string
		// wantTime is the element timestamp; zero means the publish time.
		wantTime  time.Time
		wantError string
		wantData  string
	}
	msgs := []msg{
		{body: `{"event_id":"rfc"}`, attrs: map[string]string{"ts": at.Format(time.RFC3339Nano)}, wantTime: at},
		{body: `{"event_id":"ms"}`, attrs: map[string]string{"ts": "1793527200123"}, wantTime: time.UnixMilli(1793527200123)},
		{body: `{"event_id":"missing"}`},
		{body: `{"event_id":"garbage"}`, attrs: map[string]string{"ts": "yesterday"}},
		{body: `{"event_id":"big","pad":"` + strings.Repeat("x", 100) + `"}`, attrs: map[string]string{"ts": "1793527200000"},
			wantTime: time.UnixMilli(1793527200000), wantError: "too_large", wantData: `{"event_id":"big","pad":"xxxxxxx`},
	}
	ids := map[string]string{}
	for _, m := range msgs {
		ids[m.body] = f.Publish(f.topic, []byte(m.body), m.attrs)
	}
	name, st := newStore(t)
	o := f.options()
	o.MaxMessages = int64(len(msgs))
	o.TimestampAttribute = "ts"
	o.MaxRecordBytes = 32

	p, s := beam.NewPipelineWithRoot()
	readAndAck(s, o, name)
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}

	recs, _ := st.snapshot()
	for _, m := range msgs {
		key := m.body
		if m.wantData != "" {
			key = m.wantData
		}
		r, ok := recs[key]
		if !ok {
			t.Errorf("%s: not written", m.body)
			continue
		}
		if r.ReadError != m.wantError || r.Size != int64(len(m.body)) {
			t.Errorf("%s: ReadError %q Size %d, want %q %d", m.body, r.ReadError, r.Size, m.wantError, len(m.body))
		}
		if m.wantError != "" && (len(r.Data) != o.MaxRecordBytes || r.ReadDetail == "") {
			t.Errorf("%s: cut to %d bytes (%q), want %d and a detail", m.body, len(r.Data), r.ReadDetail, o.MaxRecordBytes)
		}
		want := m.wantTime
		if want.IsZero() {
			want = f.Message(ids[m.body]).PublishTime
		}
		if got := st.eventTime(key); !got.Equal(want.Truncate(time.Millisecond)) {
			t.Errorf("%s: element timestamp %v, want %v", m.body, got, want)
		}
		if acks := f.Message(ids[m.body]).Acks; acks != 1 {
			t.Errorf("%s: %d acks, want 1", m.body, acks)
		}
	}
	for name, want := range map[string]int64{
		"messages": 5, "too_large": 1, "bad_timestamp_attribute": 2, "acked": 5, "pulls": 1, "empty_pulls": 0,
	} {
		if got := counter(res, name); got != want {
			t.Errorf("counter %s = %d, want %d", name, got, want)
		}
	}
}

// TestReadIdle reads two messages, idles until the watermark advances
// without data, then picks up two messages published later: one whose event
// time lies behind the advanced watermark (late, so its window does not
// count it) and one on time. The reader's clock moves one resumeDelay per
// pull, so idleness is a number of empty pulls, not a wait. MaxMessages
// ends the job with every window flushed.
func TestReadIdle(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	processingTime = clock.now
	t.Cleanup(func() { processingTime = time.Now })
	base := clock.now().Add(-time.Hour).Truncate(time.Minute)
	ts := func(t time.Time) map[string]string {
		return map[string]string{"ts": strconv.FormatInt(t.UnixMilli(), 10)}
	}

	// Once both first messages are acknowledged nothing is pullable, and
	// each pull moves the clock by resumeDelay: by pull idlePulls from then
	// on the subscription has been empty for idleAfter, so the next pull
	// starts with the watermark at the clock minus idleLag. m3 and m4 are
	// published then.
	idlePulls := int(idleAfter/resumeDelay) + 1
	var (
		f         *fake
		first     []string
		afterAcks int
		idleAt    time.Time
		idle      = make(chan struct{})
	)
	countPulls := reactorFunc(func(any) {
		at := clock.advance(resumeDelay)
		for _, id := range first {
			if len(f.ackSteps(id)) == 0 {
				return
			}
		}
		switch afterAcks++; afterAcks {
		case idlePulls:
			idleAt = at
		case idlePulls + 1:
			close(idle)
		}
	})
	f = newFake(t, 10*time.Second, pstest.ServerReactorOption{FuncName: "Pull", Reactor: countPulls})
	first = []string{f.Publish(f.topic, []byte("m1"), ts(base.Add(time.Second))), f.Publish(f.topic, []byte("m2"), ts(base.Add(2*time.Second)))}
	name, st := newStore(t)
	o := f.options()
	o.MaxMessages = 4
	o.TimestampAttribute = "ts"

	go func() {
		<-idle
		f.Publish(f.topic, []byte("m3-late"), ts(base.Add(3*time.Second)))
		f.Publish(f.topic, []byte("m4"), ts(base.Add(2*time.Hour)))
	}()

	p, s := beam.NewPipelineWithRoot()
	records := Read(s, o)
	Acknowledge(s, o, beam.ParDo(s, &sinkFn{Store: name}, records))
	passert.Equals(s, windowCounts(s, records, time.Minute), windowCount(base, 2), windowCount(base.Add(2*time.Hour), 1))
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}

	<-idle // idleAt is set
	recs, _ := st.snapshot()
	if len(recs) != 4 {
		t.Fatalf("%d records written, want 4", len(recs))
	}
	for _, b := range []string{"m3-late", "m4"} {
		if wm, want := recs[b].Watermark, idleAt.Add(-idleLag).Truncate(time.Millisecond); wm.Before(want) {
			t.Errorf("%s: reader watermark %v, want the idle watermark %v or later", b, wm, want)
		}
	}
	if wm := recs["m2"].Watermark; !wm.Before(base) {
		t.Errorf("m2: reader watermark %v before any idle time, want before %v", wm, base)
	}
	if n := counter(res, "empty_pulls"); n < int64(idlePulls) {
		t.Errorf("%d empty pulls, want at least %d", n, idlePulls)
	}
}

// TestReadMaxDuration ends a read that never reaches MaxMessages after
// MaxDuration, with every window flushed.
func TestReadMaxDuration(t *testing.T) {
	f := newFake(t, 10*time.Second)
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i, off := range []time.Duration{0, 10 * time.Second, 3 * time.Minute} {
		f.Publish(f.topic, []byte(fmt.Sprintf("m%d", i)), map[string]string{"ts": base.Add(off).Format(time.RFC3339)})
	}
	o := f.options()
	o.TimestampAttribute = "ts"
	o.MaxDuration = 2 * time.Second

	p, s := beam.NewPipelineWithRoot()
	records := Read(s, o)
	passert.Equals(s, windowCounts(s, records, time.Minute), windowCount(base, 2), windowCount(base.Add(3*time.Minute), 1))
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
}

// TestReadRedelivery fails the first run at the write of one message: the
// second run on the same subscription gets it again and writes it once;
// every message ends up acknowledged exactly once, after its write.
func TestReadRedelivery(t *testing.T) {
	f := newFake(t, 10*time.Second)
	bodies := []string{"a", "b", "bad", "c"}
	ids := map[string]string{}
	for _, b := range bodies {
		ids[b] = f.Publish(f.topic, []byte(b), nil)
	}
	name, st := newStore(t)
	st.failing["bad"] = 1
	o := f.options()

	o.MaxMessages = int64(len(bodies))
	p, s := beam.NewPipelineWithRoot()
	readAndAck(s, o, name)
	if err := ptest.Run(p); err == nil || !strings.Contains(err.Error(), "injected write failure") {
		t.Fatalf("first run: got %v, want the injected failure", err)
	}
	if f.Message(ids["bad"]).Acks != 0 {
		t.Fatal("the failed message was acknowledged")
	}

	o.MaxMessages = 0
	o.MaxDuration = 3 * time.Second
	p, s = beam.NewPipelineWithRoot()
	readAndAck(s, o, name)
	if err := ptest.Run(p); err != nil {
		t.Fatalf("second run: %v", err)
	}

	_, writes := st.snapshot()
	if n := len(writes["bad"]); n != 1 {
		t.Errorf("bad: written %d times, want 1", n)
	}
	for _, b := range bodies {
		m := f.Message(ids[b])
		if m.Acks != 1 {
			t.Errorf("%s: %d acks, want 1", b, m.Acks)
		}
		at := f.ackSteps(ids[b])
		if len(at) == 0 || len(writes[b]) == 0 {
			t.Errorf("%s: %d writes, %d acks", b, len(writes[b]), len(at))
			continue
		}
		if last := writes[b][len(writes[b])-1]; last >= at[len(at)-1] {
			t.Errorf("%s: acknowledged at step %d before its last write at step %d", b, at[len(at)-1], last)
		}
	}
	if d := f.Message(ids["bad"]).Deliveries; d != 2 {
		t.Errorf("bad: %d deliveries, want 2", d)
	}
}

// failFirst fails the first request it sees with err; later ones go through.
type failFirst struct {
	err  error
	done atomic.Bool
}

func (r *failFirst) React(any) (bool, any, error) {
	if r.done.Swap(true) {
		return false, nil, nil
	}
	return true, nil, r.err
}

// TestReadPullDeadlineFromServer: a server that ends a pull for its
// deadline before the client's context expires answers DeadlineExceeded;
// that is a pull that timed out (no messages), not a failure of the job.
func TestReadPullDeadlineFromServer(t *testing.T) {
	f := newFake(t, 10*time.Second, pstest.ServerReactorOption{
		FuncName: "Pull", Reactor: &failFirst{err: status.Error(codes.DeadlineExceeded, "deadline exceeded")},
	})
	for _, b := range []string{"a", "b"} {
		f.Publish(f.topic, []byte(b), nil)
	}
	name, _ := newStore(t)
	o := f.options()
	o.MaxMessages = 2

	p, s := beam.NewPipelineWithRoot()
	passert.Equals(s, stats.Sum(s, readAndAck(s, o, name)), int64(2))
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := counter(res, "empty_pulls"); n != 1 {
		t.Errorf("%d empty pulls, want the 1 that the server cut short", n)
	}
}
