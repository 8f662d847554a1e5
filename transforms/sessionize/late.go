package sessionize

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn3x0[context.Context, schemas.Event, func(schemas.Event)](&lateFn{})
}

// Late returns the events of PCollection<schemas.Event> (rows of Pub/Sub
// messages) that came too late for Streaming: an event at t belongs to a
// session window that ends at t+Gap at the earliest, which the runner drops
// once the watermark is past t+Gap+AllowedLateness, without a counter (a Go
// DoFn cannot read the watermark). The reader's watermark travels with each
// row (schemas.Delivery.Watermark); the runner's watermark at the session
// stage is never ahead of it, so an event counted here may in rare cases
// still have joined its session (near the boundary), never the reverse.
//
// Late events stay in fact_events; the batch run for their date rebuilds
// their sessions.
func Late(s beam.Scope, events beam.PCollection, o Options) beam.PCollection {
	s = s.Scope("sessionize.Late")
	o = mustOptions(o)
	return beam.ParDo(s, &lateFn{Options: o}, events)
}

type lateFn struct {
	Options Options

	late beam.Counter
}

func (fn *lateFn) Setup() { fn.late = beam.NewCounter("sessionize", "late_for_sessions") }

func (fn *lateFn) ProcessElement(ctx context.Context, e schemas.Event, emit func(schemas.Event)) {
	wm := e.Delivery.Watermark
	if wm.IsZero() || !e.EventTime.Add(fn.Options.Gap+fn.Options.AllowedLateness).Before(wm) {
		return
	}
	fn.late.Inc(ctx, 1)
	emit(e)
}
