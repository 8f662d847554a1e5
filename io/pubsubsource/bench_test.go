package pubsubsource

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x0(discard)
}

func discard(schemas.Record) {}

// BenchmarkRead measures messages per second through Read (pstest, one run
// of b.N 500-byte messages, pipeline start-up included) into a discarding
// sink.
func BenchmarkRead(b *testing.B) {
	benchmarkRead(b, func(s beam.Scope, o ReadOptions, records beam.PCollection) {
		beam.ParDo0(s, discard, records)
	})
}

// BenchmarkReadAcknowledge adds writing one row per message (to a test
// store) and acknowledging it.
func BenchmarkReadAcknowledge(b *testing.B) {
	name, _ := newStore(b)
	benchmarkRead(b, func(s beam.Scope, o ReadOptions, records beam.PCollection) {
		Acknowledge(s, o, beam.ParDo(s, &sinkFn{Store: name}, records))
	})
}

func benchmarkRead(b *testing.B, sink func(s beam.Scope, o ReadOptions, records beam.PCollection)) {
	f := newFake(b, time.Minute)
	body := []byte(fmt.Sprintf(`{"event_id":"e","pad":"%0480d"}`, 0))
	for i := range b.N {
		f.Publish(f.topic, append(body, fmt.Sprint(i)...), map[string]string{"k": "v"})
	}
	o := f.options()
	o.MaxMessages = int64(b.N)
	p, s := beam.NewPipelineWithRoot()
	sink(s, o, Read(s, o))
	b.ResetTimer()
	start := time.Now()
	if err := ptest.Run(p); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
