package files

// ReadOptions configures Read. A zero field takes its default.
type ReadOptions struct {
	// MaxRecordBytes is the longest line accepted (DefaultMaxRecordBytes);
	// longer lines are dead-lettered as too_large.
	MaxRecordBytes int
	// MaxFileBytes caps the decompressed bytes read from one file
	// (DefaultMaxFileBytes); the rest of a larger file becomes one
	// file_too_large record.
	MaxFileBytes int64
	// MaxFileRecords caps the input records read from one file
	// (DefaultMaxFileRecords; a beacon counts its events, as in
	// input_records); the rest of a file with more becomes one
	// file_too_large record.
	MaxFileRecords int64
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

// limits returns o's limits, defaults filled in.
func (o ReadOptions) limits() limits {
	l := limits{maxRecordBytes: DefaultMaxRecordBytes, maxFileBytes: DefaultMaxFileBytes, maxFileRecords: DefaultMaxFileRecords}
	if o.MaxRecordBytes > 0 {
		l.maxRecordBytes = o.MaxRecordBytes
	}
	if o.MaxFileBytes > 0 {
		l.maxFileBytes = o.MaxFileBytes
	}
	if o.MaxFileRecords > 0 {
		l.maxFileRecords = o.MaxFileRecords
	}
	return l
}
