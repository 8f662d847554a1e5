// Package runscope keeps a run to the dates it owns.
//
// A run owns a set of partition dates (--dates; by default every date in its
// input) and replaces exactly those partitions. Records dated outside that
// set are left to the run that owns their date and counted as out_of_range.
// Owning date D completely means reading everything received from D through
// D plus the lateness horizon; a run for D therefore also reads records of
// D+1, which this transform sets aside.
package runscope

import (
	"context"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn4x0[context.Context, beam.T, func(beam.T), func(schemas.Tally)](&filterFn{})
	register.Emitter1[beam.T]()
}

// Filter keeps the elements of col (any row type implementing
// schemas.Partitioned) whose partition date is one of dates, and returns them
// with PCollection<schemas.Tally> counting the others as out_of_range. With no
// dates, every element is kept.
func Filter(s beam.Scope, dates []time.Time, col beam.PCollection) (kept, outOfRange beam.PCollection) {
	s = s.Scope("runscope.Filter")
	fn := &filterFn{}
	for _, d := range dates {
		fn.Dates = append(fn.Dates, d.Format(time.DateOnly))
	}
	return beam.ParDo2(s, fn, col)
}

type filterFn struct {
	// Dates are the owned dates as YYYY-MM-DD; empty means all.
	Dates []string

	owned   map[time.Time]bool
	dropped int64
	counter beam.Counter
}

func (fn *filterFn) Setup() error {
	fn.owned = map[time.Time]bool{}
	for _, d := range fn.Dates {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return err
		}
		fn.owned[t] = true
	}
	fn.counter = beam.NewCounter("runscope", "out_of_range")
	return nil
}

func (fn *filterFn) StartBundle(_ func(beam.T), _ func(schemas.Tally)) { fn.dropped = 0 }

func (fn *filterFn) ProcessElement(ctx context.Context, elem beam.T, emit func(beam.T), _ func(schemas.Tally)) {
	if len(fn.owned) == 0 || fn.owned[schemas.DateOf(elem.(schemas.Partitioned).PartitionDate())] {
		emit(elem)
		return
	}
	fn.dropped++
	fn.counter.Inc(ctx, 1)
}

func (fn *filterFn) FinishBundle(_ func(beam.T), count func(schemas.Tally)) {
	if fn.dropped > 0 {
		count(schemas.Tally{Name: schemas.TallyOutOfRange, N: fn.dropped})
	}
}
