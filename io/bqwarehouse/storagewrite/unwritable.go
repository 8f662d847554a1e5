package storagewrite

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn4x0[context.Context, beam.EventTime, Rejected, func(beam.EventTime, schemas.Delivery)](&unwritableFn{})
}

// Unwritable settles the rows that BigQuery refused and whose fallback dead
// letter it refused too: refused is the rejected output of the Append of
// Fallbacks to dead_letter, PCollection<Rejected>. Each one is logged with
// its source position and BigQuery's error, and counted in the counter
// storagewrite/unwritable_rows, which an alert watches. It returns
// PCollection<schemas.Delivery>, their deliveries, so that their messages
// are acknowledged rather than redelivered for ever: there is nothing
// left that a retry could write.
func Unwritable(s beam.Scope, refused beam.PCollection) beam.PCollection {
	s = s.Scope("storagewrite.Unwritable")
	return beam.ParDo(s, &unwritableFn{}, refused)
}

type unwritableFn struct {
	rows beam.Counter
}

func (f *unwritableFn) Setup() {
	f.rows = beam.NewCounter("storagewrite", "unwritable_rows")
}

func (f *unwritableFn) ProcessElement(ctx context.Context, ts beam.EventTime, r Rejected, emit func(beam.EventTime, schemas.Delivery)) {
	d := r.Fallback
	log.Errorf(ctx, "storagewrite: unwritable row from %s line %d beacon %d (published %s): BigQuery refused the row and its fallback dead letter (%s)",
		d.Source, d.SourceLine, d.BeaconIndex, d.Delivery.Published.UTC().Format("2006-01-02T15:04:05.000Z"), d.Detail)
	f.rows.Inc(ctx, 1)
	emit(ts, d.Delivery)
}
