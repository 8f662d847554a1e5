package liveproducts

import (
	"fmt"
	"time"
)

// Defaults of Options.
const (
	DefaultWindow          = time.Hour
	DefaultEarlyAfter      = 1000
	DefaultAllowedLateness = 6 * time.Hour
)

// Options configures Products. Zero fields take their defaults.
type Options struct {
	// Window is the size of the tumbling event-time windows.
	Window time.Duration
	// EarlyEvery, when set, makes an open window fire early every EarlyEvery
	// of processing time: for Dataflow. Prism (v2.77) crashes when such a
	// trigger's timer fires after its window expired, which every local run
	// reaches when its watermark jumps to the end, so locally leave it zero.
	EarlyEvery time.Duration
	// EarlyAfter makes an open window fire early once EarlyAfter more product
	// events (or purchased items) have arrived for a product, when EarlyEvery is zero.
	EarlyAfter int32
	// AllowedLateness is how long after a window's end a late event still
	// updates it.
	AllowedLateness time.Duration
}

// mustOptions fills in the defaults and panics on a negative duration, while
// the graph is built.
func mustOptions(o Options) Options {
	if o.EarlyAfter < 0 {
		panic(fmt.Sprintf("liveproducts: negative EarlyAfter %d", o.EarlyAfter))
	}
	for name, d := range map[string]time.Duration{"Window": o.Window, "EarlyEvery": o.EarlyEvery, "AllowedLateness": o.AllowedLateness} {
		if d < 0 {
			panic(fmt.Sprintf("liveproducts: negative %s %v", name, d))
		}
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.EarlyAfter == 0 {
		o.EarlyAfter = DefaultEarlyAfter
	}
	if o.AllowedLateness == 0 {
		o.AllowedLateness = DefaultAllowedLateness
	}
	return o
}
