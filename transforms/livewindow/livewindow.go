// Package livewindow is the windowing that the windowed live tables share
// (live_funnel_10m, live_products_1h, live_search_1h): tumbling event-time
// windows that fire early, on time, and again for every late element
// within the allowed lateness, with accumulating panes, so that each
// firing recomputes the window's figures from all its elements so far and
// no figure is ever summed across panes.
package livewindow

import (
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window/trigger"
)

// Defaults of Options, but for Window, whose default is the table's.
const (
	DefaultEarlyAfter      = 1000
	DefaultAllowedLateness = 6 * time.Hour
)

// Options configures the windows of a live table. Zero fields take their
// defaults (WithDefaults).
type Options struct {
	// Window is the size of the tumbling event-time windows.
	Window time.Duration
	// EarlyEvery, when set, makes an open window fire early every EarlyEvery
	// of processing time: for Dataflow. Prism (v2.77) crashes when such a
	// trigger's timer fires after its window expired, which every local run
	// reaches when its watermark jumps to the end, so locally leave it zero.
	EarlyEvery time.Duration
	// EarlyAfter makes an open window fire early once EarlyAfter more
	// elements have arrived for a key, when EarlyEvery is zero.
	EarlyAfter int32
	// AllowedLateness is how long after a window's end a late element
	// still updates it.
	AllowedLateness time.Duration
}

// WithDefaults returns o with its zero fields set to their defaults, window
// for Window. It panics on a negative field, while the graph is built; name
// (the transform's) is in the message.
func (o Options) WithDefaults(name string, window time.Duration) Options {
	if o.EarlyAfter < 0 {
		panic(fmt.Sprintf("%s: negative EarlyAfter %d", name, o.EarlyAfter))
	}
	for field, d := range map[string]time.Duration{"Window": o.Window, "EarlyEvery": o.EarlyEvery, "AllowedLateness": o.AllowedLateness} {
		if d < 0 {
			panic(fmt.Sprintf("%s: negative %s %v", name, field, d))
		}
	}
	if o.Window == 0 {
		o.Window = window
	}
	if o.EarlyAfter == 0 {
		o.EarlyAfter = DefaultEarlyAfter
	}
	if o.AllowedLateness == 0 {
		o.AllowedLateness = DefaultAllowedLateness
	}
	return o
}

// Into windows col, a keyed PCollection timestamped with event times, into
// o's fixed windows and triggers (o with its defaults: WithDefaults).
func Into(s beam.Scope, col beam.PCollection, o Options) beam.PCollection {
	var early trigger.Trigger = trigger.AfterCount(o.EarlyAfter)
	if o.EarlyEvery > 0 {
		early = trigger.AfterProcessingTime().PlusDelay(o.EarlyEvery)
	}
	return beam.WindowInto(s, window.NewFixedWindows(o.Window), col,
		beam.Trigger(trigger.AfterEndOfWindow().EarlyFiring(trigger.Repeat(early)).LateFiring(trigger.Always())),
		beam.AllowedLateness(o.AllowedLateness),
		beam.PanesAccumulate(),
	)
}

// Bounds returns the UTC date (the live tables' partition), start and end
// of a window that Into made.
func Bounds(w beam.Window) (date, start, end time.Time) {
	iw := w.(window.IntervalWindow)
	start, end = iw.Start.ToTime().UTC(), iw.End.ToTime().UTC()
	return start.Truncate(24 * time.Hour), start, end
}
