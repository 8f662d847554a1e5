package pubsubsource

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x2(timestampDelivery)
}

// timestampDelivery timestamps a delivery with its Published time.
func timestampDelivery(d schemas.Delivery) (beam.EventTime, schemas.Delivery) {
	return mtime.FromTime(d.Published), d
}

// TestAcknowledge feeds Acknowledge deliveries directly: complete, incomplete,
// repeated and without an ack id, some timestamped at the end of the global
// window (as a global-window aggregation emits them).
func TestAcknowledge(t *testing.T) {
	f := newFake(t, time.Minute)
	ids := map[string]string{}
	ackIDs := map[string]string{}
	for _, b := range []string{"complete", "incomplete", "repeated"} {
		ids[b] = f.Publish(f.topic, []byte(b), nil)
		m := pullOnce(t, f)
		if m == nil {
			t.Fatal("no message")
		}
		ackIDs[string(m.Message.Data)] = m.AckId
	}
	now := time.Now()
	end := mtime.EndOfGlobalWindowTime.ToTime()
	deliveries := []schemas.Delivery{
		{AckID: ackIDs["complete"], Rows: 2, Published: now},
		{AckID: ackIDs["complete"], Rows: 2, Published: end},
		{AckID: ackIDs["incomplete"], Rows: 3, Published: now},
		{AckID: ackIDs["incomplete"], Rows: 3, Published: now},
		{AckID: ackIDs["repeated"], Rows: 1, Published: now},
		{AckID: ackIDs["repeated"], Rows: 1, Published: now.Add(time.Second)},
		{Rows: 1, Published: now}, // a row from a file
	}
	o := f.options()

	p, s := beam.NewPipelineWithRoot()
	delivered := beam.ParDo(s, timestampDelivery, beam.CreateList(s, deliveries))
	passert.Equals(s, stats.Sum(s, Acknowledge(s, o, delivered)), int64(2))
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	for b, want := range map[string]int{"complete": 1, "incomplete": 0, "repeated": 1} {
		if got := f.Message(ids[b]).Acks; got != want {
			t.Errorf("%s: %d acks, want %d", b, got, want)
		}
		if got := len(f.ackSteps(ids[b])); got != want {
			t.Errorf("%s: %d acknowledge requests, want %d", b, got, want)
		}
	}
	if got := counter(res, "acked"); got != 2 {
		t.Errorf("acked counter %d, want 2", got)
	}
	if got := counter(res, "deliveries_ignored"); got != 2 {
		t.Errorf("deliveries_ignored counter %d, want 2", got)
	}
}

// TestAcknowledgeHeldBundle reproduces an acknowledgement Prism lost: the
// acknowledger's bundle is held after it counted the first of a message's
// two rows, until the second row has been counted elsewhere (or, when that
// cannot happen, for a while). Prism splits a bundle that makes no
// progress; splitting a stateful bundle released the message's key to a
// second bundle that counted from the committed state, and the first
// bundle's commit then overwrote that count: the message was never
// acknowledged. Acknowledge must keep a key's bundles exclusive, so the
// message is acknowledged once, after both rows.
func TestAcknowledgeHeldBundle(t *testing.T) {
	f := newFake(t, time.Minute)
	id := f.Publish(f.topic, []byte(`{"events":[{"event_id":"e1"},{"event_id":"e2"}]}`), nil)
	name, _ := newStore(t)
	o := f.options()
	o.MaxMessages = 1

	var mu sync.Mutex
	calls := map[string]int{}
	second := make(chan struct{})
	countedHook = func(ackID string) {
		mu.Lock()
		calls[ackID]++
		n := calls[ackID]
		mu.Unlock()
		if n > 1 {
			close(second)
			return
		}
		select {
		case <-second:
		case <-time.After(3 * time.Second):
		}
	}
	t.Cleanup(func() { countedHook = nil })

	p, s := beam.NewPipelineWithRoot()
	passert.Equals(s, stats.Sum(s, readAndAck(s, o, name)), int64(1))
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	if m := f.Message(id); m.Acks != 1 {
		t.Errorf("%d acks, want 1", m.Acks)
	}
	if left, err := GiveBackUnacked(context.Background(), o); err != nil || len(left) != 0 {
		t.Errorf("left unacknowledged: %v (%v)", left, err)
	}
}
