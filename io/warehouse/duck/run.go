package warehousesql

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
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
func (w *Warehouse) Run(ctx context.Context, query string, params Params) (*Result, error) {
	translated, names, err := Translate(query, params)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = sql.Named(n, bindValue(params[n]))
	}
	rows, err := w.db.QueryContext(ctx, translated, args...)
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

// RunFile runs the query in a .sql file (see Run); errors name the file.
func (w *Warehouse) RunFile(ctx context.Context, path string, params Params) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res, err := w.Run(ctx, string(b), params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// QueryPath resolves a query given by name or path: a name without a slash
// or .sql suffix is the file <sqlDir>/<name>.sql.
func QueryPath(sqlDir, query string) string {
	if strings.ContainsRune(query, '/') || strings.ContainsRune(query, os.PathSeparator) || strings.HasSuffix(query, ".sql") {
		return query
	}
	return filepath.Join(sqlDir, query+".sql")
}

// Queries lists the names of the .sql files in sqlDir, sorted.
func Queries(sqlDir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(sqlDir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".sql"))
	}
	sort.Strings(names)
	return names, nil
}

// Summary is the first paragraph of a query file's header comment (what the
// query answers), on one line, or "".
func Summary(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var para []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			break
		}
		text := strings.TrimSpace(strings.TrimPrefix(line, "--"))
		if text == "" {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, text)
	}
	return strings.Join(para, " ")
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
