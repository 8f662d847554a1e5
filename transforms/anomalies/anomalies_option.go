package anomalies

import (
	"fmt"
	"time"
)

// Defaults of Options.
const (
	DefaultSpan        = 3
	DefaultTrailing    = 2 * time.Hour
	DefaultDays        = 7
	DefaultAlpha       = 1e-5
	DefaultMinExpected = 10
)

// Options configures Judge. Zero fields take their defaults.
type Options struct {
	// Span is how many minutes, ending with the judged one, are counted.
	Span int
	// Trailing is the baseline window before the span when the job has no
	// earlier days, and the history needed before any verdict.
	Trailing time.Duration
	// Days is how many earlier days the same-minute baseline averages.
	Days int
	// Alpha is the band's tail probability on each side.
	Alpha float64
	// MinExpected is the expected count under which no verdict is given.
	MinExpected float64
}

// mustOptions fills in the defaults and panics on an invalid value, while
// the graph is built.
func mustOptions(o Options) Options {
	if o.Span < 0 || o.Trailing < 0 || o.Days < 0 || o.Alpha < 0 || o.Alpha >= 0.5 || o.MinExpected < 0 {
		panic(fmt.Sprintf("anomalies: invalid options %+v", o))
	}
	if o.Span == 0 {
		o.Span = DefaultSpan
	}
	if o.Trailing == 0 {
		o.Trailing = DefaultTrailing
	}
	if o.Trailing%time.Minute != 0 {
		panic(fmt.Sprintf("anomalies: Trailing %v is not whole minutes", o.Trailing))
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.MinExpected == 0 {
		o.MinExpected = DefaultMinExpected
	}
	return o
}
