package tally

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x2(rowKey)
	register.Function1x2(tallyKey)
	register.Function2x1(formatKV)
}

func formatKV(k string, v int64) string { return fmt.Sprintf("%s=%d", k, v) }

func rowKey(r schemas.Reconciliation) (string, int64) {
	return fmt.Sprintf("%s %s %s/%s %s", r.RunID, r.IntervalDate.Format(time.DateOnly),
		r.IntervalStart.Format("15:04"), r.Outcome, r.Detail), r.Records
}

func tallyKey(t schemas.Tally) (string, int64) { return t.Name + " " + t.Key, t.N }

// TestByMinute counts rows per publish minute, by reason for dead letters,
// and turns the tallies into reconciliation rows.
func TestByMinute(t *testing.T) {
	at := func(min, sec int) schemas.Delivery {
		return schemas.Delivery{Published: time.Date(2026, 11, 24, 9, min, sec, 0, time.UTC)}
	}
	events := []schemas.Event{{Delivery: at(0, 1)}, {Delivery: at(0, 59)}, {Delivery: at(1, 0)}}
	dead := []schemas.DeadLetter{{Reason: "bad_json", Delivery: at(0, 5)}, {Reason: "bad_json", Delivery: at(0, 6)}, {Reason: "too_large", Delivery: at(0, 7)}}

	p, s := beam.NewPipelineWithRoot()
	tallies := beam.Flatten(s,
		ByMinute(s, schemas.TallyEvents, beam.CreateList(s, events)),
		ByMinute(s, schemas.TallyDeadLetter, beam.CreateList(s, dead)))
	passert.Equals(s, beam.ParDo(s, formatKV, stats.SumPerKey(s, beam.ParDo(s, tallyKey, tallies))),
		"events 2026-11-24T09:00:00Z=2", "events 2026-11-24T09:01:00Z=1",
		"dead_letter 2026-11-24T09:00:00Z bad_json=2", "dead_letter 2026-11-24T09:00:00Z too_large=1")
	passert.Equals(s, beam.ParDo(s, formatKV, stats.SumPerKey(s, beam.ParDo(s, rowKey, Rows(s, "run-1", tallies)))),
		"run-1 2026-11-24 09:00/events =2", "run-1 2026-11-24 09:01/events =1",
		"run-1 2026-11-24 09:00/dead_letter bad_json=2", "run-1 2026-11-24 09:00/dead_letter too_large=1")
	ptest.RunAndValidate(t, p)
}

// TestBucket: every latency falls in a bucket whose upper bound is at
// most 1% (and 1 ms) above it.
func TestBucket(t *testing.T) {
	for d := time.Microsecond; d < 48*time.Hour; d = d*103/100 + time.Microsecond {
		upper := time.Duration(bucket(d)) * time.Millisecond
		if upper < d || upper > d+d/100+time.Millisecond {
			t.Errorf("bucket(%v) = %v, want within [%v, %v]", d, upper, d, d+d/100+time.Millisecond)
		}
	}
}

// TestPercentile reads quantiles from a latency histogram.
func TestPercentile(t *testing.T) {
	hist := map[string]int64{}
	for i := 1; i <= 100; i++ {
		hist[fmt.Sprint(bucket(time.Duration(i)*10*time.Millisecond))]++
	}
	for _, c := range []struct {
		q        float64
		from, to time.Duration
	}{{0.5, 500 * time.Millisecond, 505 * time.Millisecond}, {0.99, 990 * time.Millisecond, 1000 * time.Millisecond}} {
		if got := Percentile(hist, c.q); got < c.from || got > c.to {
			t.Errorf("p%.0f = %v, want within [%v, %v]", 100*c.q, got, c.from, c.to)
		}
	}
}
