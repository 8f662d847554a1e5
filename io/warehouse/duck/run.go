package duck

import (
	"context"
	"database/sql"

	"github.com/example/clickstream/io/internal/duckvalues"
	"github.com/example/clickstream/sql/models"
)

// Result is a query's output.
type Result struct {
	Columns []string
	// Types are DuckDB's type names of the columns (VARCHAR, BIGINT,
	// DOUBLE, DATE, TIMESTAMP WITH TIME ZONE, ...).
	Types []string
	// Rows hold nil for NULL, or string, int64, float64, bool, time.Time
	// (a DATE is midnight UTC), or []any for a list. DuckDB's HUGEINT (the
	// type of SUM over integers) and DECIMAL arrive as int64 and float64.
	Rows [][]any
}

// Column is the index of the named column, or -1.
func (r *Result) Column(name string) int {
	for i, c := range r.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Run translates a BigQuery query's @parameters (see Translate), runs it and
// returns all rows.
func (w *DB) Run(ctx context.Context, query string, params models.Params) (*Result, error) {
	return run(ctx, w.db, query, params)
}

// querier is a *sql.DB or a *sql.Conn.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// translate rewrites query's parameters for DuckDB (see Translate) and
// returns the arguments that bind them.
func translate(query string, params models.Params) (string, []any, error) {
	translated, names, err := Translate(query, params)
	if err != nil {
		return "", nil, err
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = sql.Named(n, bindValue(params[n]))
	}
	return translated, args, nil
}

func run(ctx context.Context, q querier, query string, params models.Params) (*Result, error) {
	translated, args, err := translate(query, params)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, translated, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read: errors surface in rows.Err
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, t := range types {
		res.Columns = append(res.Columns, t.Name())
		res.Types = append(res.Types, t.DatabaseTypeName())
	}
	for rows.Next() {
		vals, err := duckvalues.ScanRow(rows, len(types))
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}
