// Package eventstream builds the test streams of events that the streaming
// transforms' tests run on Prism: events added in steps at their event
// times, the watermark advanced between steps, then to infinity.
package eventstream

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"

	"github.com/example/clickstream/schemas"
)

// Step is one step of a test stream: Add's events, each timestamped with
// its EventTime, or, when Add is empty, a watermark advance to Watermark.
type Step struct {
	Add       []schemas.Event
	Watermark time.Time
}

// Create returns, in s, a PCollection<schemas.Event> that replays steps in
// order and then advances the watermark to infinity. A step the test
// stream refuses fails t.
func Create(t testing.TB, s beam.Scope, steps ...Step) beam.PCollection {
	t.Helper()
	con := teststream.NewConfig()
	for _, st := range steps {
		var err error
		if len(st.Add) == 0 {
			err = con.AdvanceWatermark(st.Watermark.UnixMilli())
		}
		for _, e := range st.Add {
			if err = con.AddElements(e.EventTime.UnixMilli(), e); err != nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("test stream: %v", err)
		}
	}
	if err := con.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatalf("test stream: %v", err)
	}
	return teststream.Create(s, con)
}
