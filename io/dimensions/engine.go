package dimensions

import (
	"context"
	"time"

	"github.com/example/clickstream/sql/models"
)

// Engine runs the models where the warehouse lives and stores their results:
// DuckDB over the local warehouse's Parquet files (io/warehouse/duck), or
// BigQuery query jobs. Within one step, the names of the warehouse's tables
// refer to the tables as they were when the step began; the temporary
// tables it creates shadow nothing and live until the step ends.
type Engine interface {
	// Load creates the temporary table name with the given columns and rows
	// (values as for Query).
	Load(ctx context.Context, name string, columns []Column, rows [][]any) error
	// Materialize runs query, a model, and keeps its result as the
	// temporary table name; it returns the number of rows.
	Materialize(ctx context.Context, name, query string, params models.Params) (int64, error)
	// Empty creates the temporary table name with the columns of query and
	// no rows, without reading anything: for a model whose result the step
	// knows to be empty.
	Empty(ctx context.Context, name, query string, params models.Params) error
	// Query runs a model that returns a few rows, and returns them: NULL as
	// nil, INT64 as int64, STRING as string, BOOL as bool, DATE and
	// TIMESTAMP as time.Time in UTC (a DATE at midnight).
	Query(ctx context.Context, name, query string, params models.Params) ([][]any, error)
	// Dates lists the partitions of a date-partitioned table, ascending.
	Dates(ctx context.Context, table string) ([]time.Time, error)
	// Apply stores the outputs, all or none.
	Apply(ctx context.Context, outputs []Output) ([]Updated, error)
}

// Column is a column of a table Load creates.
type Column struct {
	Name string
	// Type is a GoogleSQL type: DATE, INT64, STRING or BOOL.
	Type string
}

// Write says how an output replaces or changes its table.
type Write int

const (
	// ReplaceTable makes the table's content the source's rows.
	ReplaceTable Write = iota
	// ReplacePartitions makes each partition of Dates hold the source's
	// rows of that date (none: the partition is emptied).
	ReplacePartitions
	// UpdateColumn sets the column Set of the table's rows whose Key
	// columns equal a source row's to that row's value; the source holds
	// the Key columns (the table's partition column first) and Set.
	UpdateColumn
)

// Output is one table the step writes, from a temporary table.
type Output struct {
	Table  string
	Source string
	Write  Write
	// Dates are the partitions ReplacePartitions replaces.
	Dates []time.Time
	// Key and Set are UpdateColumn's.
	Key []string
	Set string
}

// Updated is what an UpdateColumn output changed in one partition.
type Updated struct {
	Table string
	Date  time.Time
	// Rows are the partition's rows, Changed those updated.
	Rows, Changed int64
}
