package schemas

import "time"

// Lease is the row of dimension_lease: the dimension step that may write
// on BigQuery now (see tables/dimension_lease.json).
type Lease struct {
	RunID      string    `parquet:"run_id"`
	StepID     string    `parquet:"step_id"`
	AcquiredAt time.Time `parquet:"acquired_at,timestamp(microsecond)"`
	ExpiresAt  time.Time `parquet:"expires_at,timestamp(microsecond)"`
}
