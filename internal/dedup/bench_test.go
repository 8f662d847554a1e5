package dedup

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

// BenchmarkEarliest deduplicates 1,000 devices of 9 events each (8 events
// and one retried copy), in the order events arrive (by event time, not
// by event_id) and presorted as bydevice hands them over.
func BenchmarkEarliest(b *testing.B) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	var devices [][]schemas.Event
	for d := range 1000 {
		var evs []schemas.Event
		for i := range 8 {
			id := fmt.Sprintf("%08x-8a54-4c39-9b7a-%012d", (d*7919+i*104729)%99991, i)
			evs = append(evs, schemas.Event{EventID: id, ReceivedAt: t0.Add(time.Duration(i) * time.Second), Source: "/tmp/clickstream-bench/raw/dt=2026-11-01/part-000.jsonl", SourceLine: int64(i)})
		}
		evs = append(evs, evs[3])
		devices = append(devices, evs)
	}
	for _, presorted := range []bool{false, true} {
		b.Run(fmt.Sprint("presorted=", presorted), func(b *testing.B) {
			if presorted {
				for _, d := range devices {
					slices.SortFunc(d, func(a, b schemas.Event) int { return Compare(&a, &b) })
				}
			}
			work := make([]schemas.Event, 0, 16)
			b.ReportAllocs()
			for b.Loop() {
				for _, d := range devices {
					work = append(work[:0], d...)
					Earliest(work)
				}
			}
			b.ReportMetric(float64(b.N*9000)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
