package tally

import (
	"context"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn3x0[context.Context, schemas.Delivery, func(schemas.Tally)](&latencyFn{})
}

// Latency counts, under name, how long after its message's publish time each
// delivery of PCollection<schemas.Delivery> was seen (processing time), as
// a histogram: the Tally key is the bucket's upper bound in milliseconds,
// buckets growing by 1%, so a percentile read from them is within 1% (and
// 1 ms) of the true one. Latencies up to an hour fall in at most ~1,500
// buckets. Buckets 10% apart, as they were, gave runs compared side by side
// the same p50 and p99 to the millisecond.
// Given the deliveries a sink emits once its rows are written, this is the
// publish -> visible latency.
func Latency(s beam.Scope, name string, deliveries beam.PCollection) beam.PCollection {
	s = s.Scope("tally.Latency")
	return beam.ParDo(s, &latencyFn{Name: name}, deliveries)
}

type latencyFn struct {
	Name   string
	counts bundleCounts
}

func (fn *latencyFn) StartBundle(_ context.Context, _ func(schemas.Tally)) { fn.counts.reset() }

func (fn *latencyFn) ProcessElement(_ context.Context, d schemas.Delivery, _ func(schemas.Tally)) {
	if d.Published.IsZero() {
		return
	}
	fn.counts[strconv.FormatInt(bucket(time.Since(d.Published)), 10)]++
}

func (fn *latencyFn) FinishBundle(_ context.Context, emit func(schemas.Tally)) {
	fn.counts.emit(fn.Name, emit)
}

// growth is the ratio of a bucket's upper bound to the one before.
const growth = 1.01

// bucket is the upper bound in milliseconds of the bucket d falls in:
// 1 ms, then 1% more each bucket.
func bucket(d time.Duration) int64 {
	ms := float64(d) / float64(time.Millisecond)
	if ms <= 1 {
		return 1
	}
	return int64(math.Ceil(math.Pow(growth, math.Ceil(math.Log(ms)/math.Log(growth)))))
}

// Percentile returns the q-th quantile (0 < q <= 1) of a Latency histogram
// (the totals under its name), as the upper bound of its bucket.
func Percentile(hist map[string]int64, q float64) time.Duration {
	type b struct{ upper, n int64 }
	var buckets []b
	var total int64
	for key, n := range hist {
		upper, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			continue
		}
		buckets = append(buckets, b{upper, n})
		total += n
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].upper < buckets[j].upper })
	rank := int64(math.Ceil(q * float64(total)))
	var seen int64
	for _, bk := range buckets {
		if seen += bk.n; seen >= rank {
			return time.Duration(bk.upper) * time.Millisecond
		}
	}
	return 0
}
