package pubsub

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
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
		at := f.ackTimes(ids[b])
		if len(at) != 1 {
			t.Fatalf("%s: acknowledged %d times, want 1", b, len(at))
		}
		for _, w := range writes[b] {
			if !w.Before(at[0]) {
				t.Errorf("%s: row written at %v, not before the ack at %v", b, w, at[0])
			}
		}
	}
}
