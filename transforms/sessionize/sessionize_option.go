package sessionize

import (
	"fmt"
	"time"
)

// Defaults of Options' zero fields.
const (
	DefaultGap             = 30 * time.Minute
	DefaultMaxLength       = 24 * time.Hour
	DefaultAllowedLateness = 6 * time.Hour
	DefaultMaxPathLength   = 50
)

// Options configures both executions. A zero field takes its default.
type Options struct {
	// Gap is the inactivity that ends a session: an event Gap or more after
	// the previous one starts a new session. Beam timestamps have millisecond
	// resolution, so Gap must be a whole number of milliseconds.
	Gap time.Duration
	// MaxLength splits runaway sessions: a session whose last event is
	// MaxLength or more after its first is cut at every multiple of
	// MaxLength since the Unix epoch (every UTC midnight at 24 h). It must
	// be a whole number of microseconds, the resolution of the cuts.
	MaxLength time.Duration
	// AllowedLateness is how long after the watermark passes the end of a
	// session an event may still update it (Streaming only).
	AllowedLateness time.Duration
	// MaxPathLength caps page_path_sequence.
	MaxPathLength int
}

// Validate reports options that cannot work. Pipelines call it on their
// flags before building the graph; Batch and Streaming panic on them.
func (o Options) Validate() error {
	switch {
	case o.Gap < 0:
		return fmt.Errorf("sessionize: Gap is %v, want > 0 (0: default %v)", o.Gap, DefaultGap)
	case o.Gap%time.Millisecond != 0:
		return fmt.Errorf("sessionize: Gap is %v, want a whole number of milliseconds", o.Gap)
	case o.MaxLength < 0:
		return fmt.Errorf("sessionize: MaxLength is %v, want > 0 (0: default %v)", o.MaxLength, DefaultMaxLength)
	case o.MaxLength%time.Microsecond != 0:
		return fmt.Errorf("sessionize: MaxLength is %v, want a whole number of microseconds", o.MaxLength)
	case o.AllowedLateness < 0:
		return fmt.Errorf("sessionize: AllowedLateness is %v, want > 0 (0: default %v)", o.AllowedLateness, DefaultAllowedLateness)
	case o.MaxPathLength < 0:
		return fmt.Errorf("sessionize: MaxPathLength is %d, want > 0 (0: default %d)", o.MaxPathLength, DefaultMaxPathLength)
	}
	return nil
}

// mustOptions returns o with its defaults filled in, and panics on options
// that Validate rejects.
func mustOptions(o Options) Options {
	if err := o.Validate(); err != nil {
		panic(err)
	}
	if o.Gap == 0 {
		o.Gap = DefaultGap
	}
	if o.MaxLength == 0 {
		o.MaxLength = DefaultMaxLength
	}
	if o.AllowedLateness == 0 {
		o.AllowedLateness = DefaultAllowedLateness
	}
	if o.MaxPathLength == 0 {
		o.MaxPathLength = DefaultMaxPathLength
	}
	return o
}
