package erased

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"

	"github.com/example/clickstream/schemas"
)

func TestMain(m *testing.M) { ptest.Main(m) }

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func event(id, device, user string) schemas.Event {
	return schemas.Event{EventID: id, DeviceID: device, UserKey: user, EventTime: t0, EventDate: schemas.DateOf(t0)}
}

var (
	erasedPerson = event("e1", "d-shared", "k-erased")
	erasedDevice = event("e2", "d-erased", "")
	otherPerson  = event("e3", "d-shared", "k-other")
	anonymous    = event("e4", "d-shared", "")
)

// Events carrying an erased user key or device id go to erased, the others
// (another person on the same device, an anonymous event) are kept.
func TestFilter(t *testing.T) {
	cases := []struct {
		name         string
		keys         []string
		in           []schemas.Event
		kept, erased []schemas.Event
	}{
		{"person and device", []string{"k-erased", "d-erased"},
			[]schemas.Event{erasedPerson, erasedDevice, otherPerson, anonymous},
			[]schemas.Event{otherPerson, anonymous}, []schemas.Event{erasedPerson, erasedDevice}},
		{"nothing erased", nil,
			[]schemas.Event{erasedPerson, otherPerson},
			[]schemas.Event{erasedPerson, otherPerson}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, s := beam.NewPipelineWithRoot()
			kept, erased := Filter(s, beam.CreateList(s, c.in), beam.CreateList(s, c.keys))
			passert.Equals(s, kept, toAny(c.kept)...)
			passert.Equals(s, erased, toAny(c.erased)...)
			ptest.RunAndValidate(t, p)
		})
	}
}

// In streaming, events arriving after the lookup was read (a late beacon)
// are split the same way.
func TestFilterStreaming(t *testing.T) {
	con := teststream.NewConfig()
	for i, e := range []schemas.Event{erasedPerson, otherPerson, erasedDevice} {
		if err := con.AddElements(t0.Add(time.Duration(i)*time.Minute).UnixMilli(), e); err != nil {
			t.Fatal(err)
		}
		if err := con.AdvanceWatermark(t0.Add(time.Duration(i+1) * time.Minute).UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	if err := con.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	kept, erased := Filter(s, teststream.Create(s, con), beam.Create(s, "k-erased", "d-erased"))
	passert.Equals(s, kept, otherPerson)
	passert.Equals(s, erased, erasedPerson, erasedDevice)
	ptest.RunAndValidate(t, p)
}

func toAny(events []schemas.Event) []any {
	out := make([]any, len(events))
	for i, e := range events {
		out[i] = e
	}
	return out
}
