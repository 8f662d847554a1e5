package warehouse

import (
	"context"
	"testing"
)

// BenchmarkStage measures the staging DoFn alone: encoding and writing rows
// of fact_events into one file per bundle and date.
func BenchmarkStage(b *testing.B) {
	ctx := context.Background()
	rows := anys(concat(makeEvents("a", day1, 0, 5000), makeEvents("a", day2, 0, 5000)))
	fn := &stageFn{Out: b.TempDir(), RunID: "bench", Table: "fact_events"}
	if err := fn.Setup(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := fn.StartBundle(ctx); err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			if err := fn.ProcessElement(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		if err := fn.FinishBundle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}
