package pubsubsource

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
)

func TestWatermarkEstimator(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	base := now.Add(-time.Hour)
	at := func(secs ...int) []time.Time {
		ts := make([]time.Time, len(secs))
		for i, s := range secs {
			ts[i] = base.Add(time.Duration(s) * time.Second)
		}
		return ts
	}
	// seq returns n event times from+0 .. from+n-1 seconds.
	seq := func(from, n int) []time.Time {
		secs := make([]int, n)
		for i := range secs {
			secs[i] = from + i
		}
		return at(secs...)
	}
	type step struct {
		pull  []time.Time // nil: an empty pull
		after time.Duration
		want  time.Time
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"follows the smallest of the recent pulls", []step{
			{pull: at(10, 20), want: base.Add(10 * time.Second)},
			{pull: at(30), want: base.Add(10 * time.Second)}, // min(10, 30)
			{pull: at(40), want: base.Add(10 * time.Second)},
			{pull: at(50), want: base.Add(10 * time.Second)},
			{pull: at(60), want: base.Add(30 * time.Second)}, // 10 left the last four
		}},
		{"never decreases", []step{
			{pull: at(100), want: base.Add(100 * time.Second)},
			{pull: at(5), want: base.Add(100 * time.Second)},
		}},
		{"a lone message from far ahead is capped at the wall clock minus idleLag", []step{
			{pull: []time.Time{now.Add(24 * time.Hour)}, want: now.Add(-idleLag)},
		}},
		{"one early message among others does not move it", []step{
			{pull: seq(0, 10), want: base},
			{pull: append(seq(10, 30), base.Add(50*time.Minute)), want: base},
			{pull: seq(40, 30), want: base},
			{pull: seq(70, 30), want: base},
			// The early pull's candidate is its 5% quantile (the second
			// smallest of 31), not the early message.
			{pull: seq(100, 30), want: base.Add(11 * time.Second)},
		}},
		{"stragglers under the quantile do not hold it back", []step{
			// 40 messages, 2 of them an hour old: the 5% quantile is the
			// third smallest.
			{pull: append(seq(1000, 38), base.Add(-time.Hour), base.Add(-time.Hour)), want: base.Add(1000 * time.Second)},
		}},
		{"a single empty pull does not advance it", []step{
			{pull: at(0), want: base},
			{pull: nil, want: base},
		}},
		{"an idle subscription advances it to the wall clock minus idleLag", []step{
			{pull: at(0), want: base},
			{pull: nil, want: base},
			{pull: nil, after: idleAfter, want: now.Add(idleAfter - idleLag)},
		}},
		{"a pull with messages ends the idle spell", []step{
			{pull: nil, want: time.UnixMilli(0)},
			{pull: at(0), after: idleAfter, want: base},
			{pull: nil, after: idleAfter, want: base},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			we := &watermarkEstimator{}
			clock := now
			for i, st := range tt.steps {
				clock = clock.Add(st.after)
				if st.pull == nil {
					we.observeEmpty(clock)
				} else {
					we.observePull(st.pull, clock)
				}
				if got := we.CurrentWatermark(); !got.Equal(st.want) {
					t.Fatalf("step %d: watermark %v, want %v", i, got.UTC(), st.want)
				}
			}
		})
	}
}

func TestWatermarkEstimatorFinish(t *testing.T) {
	we := &watermarkEstimator{state: watermarkState{Watermark: 5}}
	we.finish()
	if got := we.CurrentWatermark(); !got.Equal(mtime.MaxTimestamp.ToTime()) {
		t.Errorf("watermark after finish %v, want +inf (%v)", got, mtime.MaxTimestamp.ToTime())
	}
}
