package files

// Option configures Read.
type Option func(*options)

type options struct {
	maxRecordBytes int
}

// DefaultMaxRecordBytes is the default line-size limit: far above a real
// beacon (a 50-event beacon is ~40 KiB), far below what would hurt a worker.
const DefaultMaxRecordBytes = 256 << 10

func defaults() options { return options{maxRecordBytes: DefaultMaxRecordBytes} }

// WithMaxRecordBytes sets the longest line accepted; longer lines are
// dead-lettered as too_large.
func WithMaxRecordBytes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxRecordBytes = n
		}
	}
}
