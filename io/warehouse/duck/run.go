package duck

import (
	"context"
	"database/sql"
	"math/big"
	"time"

	"github.com/duckdb/duckdb-go/v2"

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
		vals, err := scanRow(rows, len(types))
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v)
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func normalize(v any) any {
	switch v := v.(type) {
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		f, _ := new(big.Float).SetInt(v).Float64()
		return f
	case duckdb.Decimal:
		return v.Float64()
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case float32:
		return float64(v)
	case time.Time:
		return v.UTC()
	case []byte:
		return string(v)
	case []any:
		for i := range v {
			v[i] = normalize(v[i])
		}
		return v
	}
	return v
}

// scanRow scans the current row of n columns into fresh values.
func scanRow(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, nil
}
