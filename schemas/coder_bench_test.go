package schemas_test

import (
	"testing"

	"github.com/example/clickstream/internal/sampleevents"
	"github.com/example/clickstream/schemas"
)

// BenchmarkEventBatch codes sample events in batches of 64, the size
// bydevice's batches have (its maxBatch): encode is EncodeBatch
// (MessagePack, then zstd), decode DecodeBatch. B/event is the encoded
// size, what each event adds to the shuffle. The sample's few distinct
// values compress better than real traffic: 81 B an event, where 64,000
// of the bench data's events took 123 (December 6).
func BenchmarkEventBatch(b *testing.B) {
	const batchSize = 64
	events := sampleevents.Events(64 * batchSize)
	var batches []schemas.EventBatch
	for i := 0; i < len(events); i += batchSize {
		batches = append(batches, schemas.EventBatch{Events: events[i : i+batchSize]})
	}
	encoded := make([][]byte, len(batches))
	var size int
	for i, batch := range batches {
		data, err := schemas.EncodeBatch(batch)
		if err != nil {
			b.Fatal(err)
		}
		encoded[i], size = data, size+len(data)
	}

	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, batch := range batches {
				if _, err := schemas.EncodeBatch(batch); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(size)/float64(len(events)), "B/event")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, data := range encoded {
				if _, err := schemas.DecodeBatch(data); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
	})
}
