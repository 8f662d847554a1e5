package abandonment

import (
	"fmt"
	"time"
)

// Defaults of Options.
const (
	DefaultAfter           = 15 * time.Minute
	DefaultResolution      = time.Minute
	DefaultAllowedLateness = 6 * time.Hour
)

// Options configures Detect. Zero fields take their defaults.
type Options struct {
	// After is how long (event time) a device with an open cart must send
	// nothing for the cart to be abandoned (--abandon_after).
	After time.Duration
	// Resolution is the size of the fixed windows that act as the clock: a
	// trigger comes at most this long (event time) after the quiet period
	// ends.
	Resolution time.Duration
	// AllowedLateness is how late an event may still wake its device (a
	// late add_to_cart whose quiet period has passed triggers then).
	AllowedLateness time.Duration
}

// mustOptions fills in the defaults and panics on a negative duration, while
// the graph is built.
func mustOptions(o Options) Options {
	for name, d := range map[string]time.Duration{"After": o.After, "Resolution": o.Resolution, "AllowedLateness": o.AllowedLateness} {
		if d < 0 {
			panic(fmt.Sprintf("abandonment: negative %s %v", name, d))
		}
	}
	if o.After == 0 {
		o.After = DefaultAfter
	}
	if o.Resolution == 0 {
		o.Resolution = DefaultResolution
	}
	if o.AllowedLateness == 0 {
		o.AllowedLateness = DefaultAllowedLateness
	}
	return o
}
