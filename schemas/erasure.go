package schemas

import "time"

// ErasureRequest is a row of erasure_requests: one person or one device to
// erase (see tables/erasure_requests.json and README, Erasure and
// retention). A person is named by UserKeys, their user_id hashed with every
// key version still in retention; the user_id itself is never stored.
type ErasureRequest struct {
	RequestID  string    `parquet:"request_id"`
	ReceivedAt time.Time `parquet:"received_at,timestamp(microsecond)"`
	UserKeys   []string  `parquet:"user_keys,list"`
	DeviceID   string    `parquet:"device_id,optional"`
}

// ErasureLog is a row of erasure_log: what erasing one request changed in
// one table partition or one raw file, or (Table "", Status "complete") that
// the request is done.
type ErasureLog struct {
	RequestID   string    `parquet:"request_id"`
	RunID       string    `parquet:"run_id"`
	Target      string    `parquet:"target"`
	Partition   string    `parquet:"partition,optional"`
	RawFile     string    `parquet:"raw_file,optional"`
	RowsRemoved int64     `parquet:"rows_removed"`
	Status      string    `parquet:"status"`
	StartedAt   time.Time `parquet:"started_at,timestamp(microsecond)"`
	FinishedAt  time.Time `parquet:"finished_at,timestamp(microsecond)"`
}

// Erasure log statuses.
const (
	// ErasureRemoved marks a partition or raw file the request removed rows
	// or lines from.
	ErasureRemoved = "removed"
	// ErasureComplete marks a request erased everywhere.
	ErasureComplete = "complete"
)
