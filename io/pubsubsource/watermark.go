package pubsubsource

import (
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
)

const (
	// watermarkQuantile is the share of a pull's messages allowed to lie
	// behind the watermark candidate the pull proposes: stragglers (e.g. an
	// offline device's old events) do not hold the watermark back, and a
	// few messages from the future do not drag it ahead.
	watermarkQuantile = 0.05
	// watermarkPulls is how many recent pulls must all agree before the
	// watermark moves: it advances to the smallest candidate among them.
	watermarkPulls = 4
	// idleLag is how far behind the wall clock the watermark stays: a
	// message's event time is assumed to be at most this old when the
	// message becomes pullable.
	idleLag = 10 * time.Second
	// idleAfter is how long the subscription must have returned nothing
	// before it counts as idle (at least two empty pulls).
	idleAfter = 2 * time.Second
)

// watermarkState is the reader's watermark estimator state; it travels with
// every checkpoint of the read.
type watermarkState struct {
	// Watermark is the reader's watermark, Unix ms; it never decreases.
	Watermark int64
	// Recent holds the candidates of the last watermarkPulls non-empty
	// pulls, Unix ms, oldest first.
	Recent []int64
	// EmptySince is the processing time (Unix ms) of the first of the
	// current run of empty pulls, 0 while pulls return messages.
	EmptySince int64
	// Deadline is the processing time (Unix ms) at which MaxDuration ends
	// the read, 0 for none. It lives here because it must survive
	// checkpoints and the restriction has no room for it.
	Deadline int64
}

// watermarkEstimator is a manual estimator: the reader tells it about every
// pull (see doc.go for the rules).
type watermarkEstimator struct {
	state watermarkState
}

// CurrentWatermark returns the reader's watermark.
func (e *watermarkEstimator) CurrentWatermark() time.Time {
	return time.UnixMilli(e.state.Watermark)
}

// observePull records a non-empty pull whose messages have the event times
// ts (not empty), at processing time now.
func (e *watermarkEstimator) observePull(ts []time.Time, now time.Time) {
	e.state.EmptySince = 0
	sorted := make([]int64, len(ts))
	for i, t := range ts {
		sorted[i] = t.UnixMilli()
	}
	slices.Sort(sorted)
	candidate := min(sorted[int(watermarkQuantile*float64(len(sorted)))], now.Add(-idleLag).UnixMilli())
	e.state.Recent = append(e.state.Recent, candidate)
	if len(e.state.Recent) > watermarkPulls {
		e.state.Recent = e.state.Recent[len(e.state.Recent)-watermarkPulls:]
	}
	e.advance(slices.Min(e.state.Recent))
}

// observeEmpty records a pull that returned nothing at processing time now.
// Once the subscription has been empty for idleAfter, the watermark moves to
// now - idleLag: a quiet stream still closes its windows.
func (e *watermarkEstimator) observeEmpty(now time.Time) {
	if e.state.EmptySince == 0 {
		e.state.EmptySince = now.UnixMilli()
		return
	}
	if now.UnixMilli()-e.state.EmptySince >= idleAfter.Milliseconds() {
		e.advance(now.Add(-idleLag).UnixMilli())
	}
}

// finish moves the watermark to +inf: the read is over.
func (e *watermarkEstimator) finish() {
	e.state.Watermark = mtime.MaxTimestamp.Milliseconds()
}

func (e *watermarkEstimator) advance(ms int64) {
	e.state.Watermark = max(e.state.Watermark, ms)
}
