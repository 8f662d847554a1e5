package warehouse

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
)

func init() { register.Function1x1(deliveryAckID) }

func deliveryAckID(d schemas.Delivery) string { return d.AckID }

// TestAppend appends events of two dates into the visible partitions, emits
// the deliveries of rows that have one, and counts what the run appended.
func TestAppend(t *testing.T) {
	out := t.TempDir()
	day1 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	ev := func(id string, at time.Time, ack string) schemas.Event {
		return schemas.Event{EventID: id, EventType: "page_view", DeviceID: "d", EventTime: at, EventDate: schemas.DateOf(at),
			CreatedAt: at, TimeSource: "created_at", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "pubsub:s",
			Delivery: schemas.Delivery{AckID: ack, Rows: 1}}
	}
	rows := []schemas.Event{ev("a", day1, "ack-a"), ev("b", day1, "ack-b"), ev("c", day2, "ack-c"), ev("d", day2, "")}

	p, s := beam.NewPipelineWithRoot()
	written := Append(s, out, "run-1", "fact_events", beam.CreateList(s, rows))
	passert.Equals(s, beam.ParDo(s, deliveryAckID, written), "ack-a", "ack-b", "ack-c")
	ptest.RunAndValidate(t, p)

	got, err := ReadRows[schemas.Event](out, "fact_events", []time.Time{schemas.DateOf(day1), schemas.DateOf(day2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("read back %d rows, want %d", len(got), len(rows))
	}
	for _, run := range []struct {
		id   string
		want int64
	}{{"run-1", 4}, {"run-2", 0}} {
		n, err := CountAppended(out, run.id, "fact_events")
		if err != nil {
			t.Fatal(err)
		}
		if n != run.want {
			t.Errorf("CountAppended(%s) = %d, want %d", run.id, n, run.want)
		}
	}
}
