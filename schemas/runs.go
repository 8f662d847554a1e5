package schemas

import "time"

// The run modes: Run.Mode, and the pipeline's --mode.
const (
	// ModeBatch reads files and replaces the partitions of the dates it owns.
	ModeBatch = "batch"
	// ModeStreaming reads Pub/Sub and appends rows as they are decided.
	ModeStreaming = "streaming"
)

// Run is a row of runs: one batch run's account (see tables/runs.json).
type Run struct {
	RunDate      time.Time `parquet:"run_date,date"`
	RunID        string    `parquet:"run_id"`
	Mode         string    `parquet:"mode"`
	Sink         string    `parquet:"sink"`
	JobID        string    `parquet:"job_id,optional"`
	FirstDate    time.Time `parquet:"first_date,optional,date"`
	LastDate     time.Time `parquet:"last_date,optional,date"`
	DatesOwned   string    `parquet:"dates_owned,optional"`
	Started      time.Time `parquet:"started,timestamp(microsecond)"`
	Finished     time.Time `parquet:"finished,timestamp(microsecond)"`
	InputRecords int64     `parquet:"input_records"`
	Events       int64     `parquet:"events"`
	Duplicates   int64     `parquet:"duplicates"`
	Bots         int64     `parquet:"bots"`
	DeadLetter   int64     `parquet:"dead_letter"`
	OutOfRange   int64     `parquet:"out_of_range"`
	Unwritable   int64     `parquet:"unwritable"`
	Sessions     int64     `parquet:"sessions"`
	Reconciled   bool      `parquet:"reconciled"`
	Problems     []string  `parquet:"problems,list"`
	// Erased is last: a column added to a table with rows goes at the end.
	Erased int64 `parquet:"erased,optional"`
}

// RunOutcome is a row of run_outcomes: a run's records with one outcome and
// detail (see tables/run_outcomes.json).
type RunOutcome struct {
	RunDate time.Time `parquet:"run_date,date"`
	RunID   string    `parquet:"run_id"`
	Outcome string    `parquet:"outcome"`
	Detail  string    `parquet:"detail,optional"`
	Records int64     `parquet:"records"`
}

// RunPartition is a row of run_partitions: what a run did to one partition
// of one table (see tables/run_partitions.json).
type RunPartition struct {
	RunDate     time.Time `parquet:"run_date,date"`
	RunID       string    `parquet:"run_id"`
	TableName   string    `parquet:"table_name"`
	Date        time.Time `parquet:"partition_date,optional,date"`
	JobID       string    `parquet:"job_id,optional"`
	Attempt     *int64    `parquet:"attempt,optional"`
	Status      string    `parquet:"status"`
	RowsCounted *int64    `parquet:"rows_counted,optional"`
	RowsWritten *int64    `parquet:"rows_written,optional"`
	Error       string    `parquet:"error,optional"`
}

// run_partitions statuses.
const (
	PartitionWritten = "written"
	PartitionEmptied = "emptied"
	PartitionFailed  = "failed"
	PartitionPending = "pending"
)

// PartitionDate returns the run's start date.
func (r Run) PartitionDate() time.Time { return r.RunDate }

// PartitionDate returns the run's start date.
func (o RunOutcome) PartitionDate() time.Time { return o.RunDate }

// PartitionDate returns the run's start date.
func (p RunPartition) PartitionDate() time.Time { return p.RunDate }
