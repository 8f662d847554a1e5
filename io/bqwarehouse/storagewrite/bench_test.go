package storagewrite

import (
	"context"
	"reflect"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/schemas"
)

// BenchmarkAppend measures the sink against the fake server: bundles of
// 1,000 fact_events rows through one DoFn instance (encode, AppendRows in
// requests of 500, wait), without the runner. The fake decodes every row
// with dynamicpb in the same process, so the figure is a floor for the
// client side.
func BenchmarkAppend(b *testing.B) {
	srv := newServer(b)
	rows := makeEvents("bench", 1000)
	f := &appendFn{
		Options: Options{Project: testProject, Dataset: testDataset, Endpoint: srv.Addr(), MaxBatchRows: DefaultMaxBatchRows, MaxAttempts: DefaultMaxAttempts},
		Table:   "fact_events",
		Type:    beam.EncodedType{T: reflect.TypeFor[schemas.Event]()},
	}
	if err := f.Setup(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := f.Teardown(); err != nil {
			b.Error(err)
		}
	})
	ctx := context.Background()
	written := 0
	emitWritten := func(beam.EventTime, schemas.Delivery) { written++ }
	emitRejected := func(_ beam.EventTime, r Rejected) { b.Fatalf("rejected: %s", r.Fallback.Detail) }
	b.ReportAllocs()
	for b.Loop() {
		f.StartBundle(ctx, emitWritten, emitRejected)
		for _, r := range rows {
			f.ProcessElement(ctx, beam.EventTime(0), r, emitWritten, emitRejected)
		}
		if err := f.FinishBundle(ctx, emitWritten, emitRejected); err != nil {
			b.Fatal(err)
		}
		srv.TakeRows("fact_events")
	}
	if written != b.N*len(rows) {
		b.Fatalf("written %d rows, want %d", written, b.N*len(rows))
	}
	b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkEncode measures the client's own work per row: a fact_events row
// to its proto message.
func BenchmarkEncode(b *testing.B) {
	enc, err := newRowEncoder(schemas.MustTable("fact_events"), reflect.TypeFor[schemas.Event]())
	if err != nil {
		b.Fatal(err)
	}
	rows := makeEvents("bench", 1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := enc.encode(rows[i%len(rows)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
