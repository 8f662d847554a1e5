package files

// Option configures Read.
type Option func(*options)

type options struct {
	limits limits
}

// limits bound what the reader takes from one file.
type limits struct {
	maxRecordBytes int
	maxFileBytes   int64
	maxFileRecords int64
}

// DefaultMaxRecordBytes is the default line-size limit: far above a real
// beacon (a 50-event beacon is ~40 KiB), far below what would hurt a worker.
const DefaultMaxRecordBytes = 256 << 10

// DefaultMaxFileBytes is the default cap on a file's decompressed size:
// ten times the 100 MB files the project's Pub/Sub archive writes
// (terraform/pubsub.tf, max_bytes), while a gzip bomb that fits in a
// mail attachment decompresses to far more.
const DefaultMaxFileBytes = 1 << 30

// DefaultMaxFileRecords is the default cap on a file's input records: a
// file of DefaultMaxFileBytes holds about 4M records of 256 bytes, and real
// events are larger (a few hundred bytes to a few KiB), so only files of tiny
// records reach it, which are malformed: each would become a dead-letter
// row, and the local runner holds every row in memory.
const DefaultMaxFileRecords = 4_000_000

func defaults() options {
	return options{limits{
		maxRecordBytes: DefaultMaxRecordBytes,
		maxFileBytes:   DefaultMaxFileBytes,
		maxFileRecords: DefaultMaxFileRecords,
	}}
}

// WithMaxRecordBytes sets the longest line accepted; longer lines are
// dead-lettered as too_large.
func WithMaxRecordBytes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.limits.maxRecordBytes = n
		}
	}
}

// WithMaxFileBytes caps the decompressed bytes read from one file; the rest
// of a larger file becomes one file_too_large record.
func WithMaxFileBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.limits.maxFileBytes = n
		}
	}
}

// WithMaxFileRecords caps the input records read from one file (a beacon
// counts its events, as in input_records); the rest of a file with more
// becomes one file_too_large record.
func WithMaxFileRecords(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.limits.maxFileRecords = n
		}
	}
}
