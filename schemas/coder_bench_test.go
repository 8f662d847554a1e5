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

	for _, c := range []struct {
		name string
		code func(i int) error
	}{
		{"encode", func(i int) error { _, err := schemas.EncodeBatch(batches[i]); return err }},
		{"decode", func(i int) error { _, err := schemas.DecodeBatch(encoded[i]); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := range batches {
					if err := c.code(i); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(size)/float64(len(events)), "B/event")
		})
	}
}
