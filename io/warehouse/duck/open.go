package duck

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/example/clickstream/io/internal/duckvalues"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// DB is an in-memory DuckDB database with one view per warehouse table
// (schemas.Tables), named like the table, over that table's Parquet files,
// and the GoogleSQL functions the shared SQL uses (see dialect.go).
type DB struct {
	db        *sql.DB
	connector *duckdb.Connector
	dir       string
	tables    []Table
}

// Table is what Open found for one table.
type Table struct {
	Name string
	// PartitionColumn is the DATE column the table is partitioned by.
	PartitionColumn string
	// Files is the number of Parquet files the view reads; 0 means the view
	// is empty (no committed partition yet).
	Files int
	// Dates are the partition dates present, ascending.
	Dates []time.Time
	// MissingColumns are schema columns no file has (files written before
	// the column existed); the view gives NULL for them.
	MissingColumns []string
}

// Open opens an in-memory DuckDB database, sets its time zone to UTC (the
// warehouse's TIMESTAMP columns read as TIMESTAMPTZ, and DATE casts and
// output must not depend on the machine's zone), creates the dialect's
// macros, and creates a view per table over dir/<table>/*/*.parquet
// (dir/<table>/*.parquet for an unpartitioned table), with Hive
// partitioning, so that a filter on the partition column skips the other
// partitions' files. Each view has the table's schema columns in schema
// order, whatever subset the files hold; a table without files is an empty
// view of the same columns. dir need not exist.
func Open(ctx context.Context, dir string) (*DB, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("warehouse %s: not a directory", dir)
	}
	connector, err := duckdb.NewConnector("", func(conn driver.ExecerContext) error {
		// Per connection: database/sql may open several.
		_, err := conn.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	w := &DB{db: sql.OpenDB(connector), connector: connector, dir: abs}
	if err := createMacros(ctx, w.db); err != nil {
		_ = w.Close()
		return nil, err
	}
	for _, t := range schemas.Tables() {
		info, err := w.createView(ctx, t)
		if err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("view %s: %w", t.Name, err)
		}
		w.tables = append(w.tables, info)
	}
	return w, nil
}

// Close closes the database.
func (w *DB) Close() error {
	return errors.Join(w.db.Close(), w.connector.Close())
}

// SQL is the underlying database, for queries Run does not cover.
func (w *DB) SQL() *sql.DB { return w.db }

// Dir is the warehouse directory (absolute).
func (w *DB) Dir() string { return w.dir }

// Tables is what Open found, by table name.
func (w *DB) Tables() []Table { return w.tables }

// DateRange is the first and last partition date of the fact tables
// (fact_events, fact_sessions), the dates the analyses' @start_date and
// @end_date select, and false when they have no partitions. (The runs'
// account is dated by when runs started, not by event date.)
func (w *DB) DateRange() (first, last models.Date, ok bool) {
	for _, t := range w.tables {
		if len(t.Dates) == 0 || (t.Name != "fact_events" && t.Name != "fact_sessions") {
			continue
		}
		lo, hi := models.DateOf(t.Dates[0]), models.DateOf(t.Dates[len(t.Dates)-1])
		if !ok || lo.Before(first.Time) {
			first = lo
		}
		if !ok || hi.After(last.Time) {
			last = hi
		}
		ok = true
	}
	return first, last, ok
}

func (w *DB) createView(ctx context.Context, t schemas.Table) (Table, error) {
	info := Table{Name: t.Name, PartitionColumn: t.TimePartitioning.Field}
	pattern := filepath.Join(w.dir, t.Name, "*", "*.parquet")
	if info.PartitionColumn == "" { // dimensions keep their files in the table's directory
		pattern = filepath.Join(w.dir, t.Name, "*.parquet")
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		return info, err
	}
	info.Files = len(files)
	if len(files) > 0 {
		if info.Dates, err = warehouse.Dates(w.dir, t.Name); err != nil {
			return info, err
		}
	}
	have := map[string]bool{}
	var source string
	if len(files) > 0 {
		// union_by_name: partitions written before a column existed lack it.
		// The files hold the partition column too; Hive partitioning gives
		// the same values and lets a filter on it skip whole files.
		source = fmt.Sprintf("read_parquet(%s, hive_partitioning = %t, union_by_name = true)",
			quoteString(pattern), info.PartitionColumn != "")
		rows, err := w.db.QueryContext(ctx, "DESCRIBE SELECT * FROM "+source)
		if err != nil {
			return info, err
		}
		defer func() { _ = rows.Close() }() // a read: errors surface in rows.Err
		cols, err := rows.Columns()
		if err != nil {
			return info, err
		}
		for rows.Next() {
			vals, err := duckvalues.ScanRow(rows, len(cols))
			if err != nil {
				return info, err
			}
			have[fmt.Sprint(vals[0])] = true // column_name
		}
		if err := rows.Err(); err != nil {
			return info, err
		}
	}
	var sel []string
	for _, c := range t.Schema {
		typ, err := duckType(c)
		if err != nil {
			return info, err
		}
		if have[c.Name] {
			sel = append(sel, quoteIdent(c.Name))
			continue
		}
		sel = append(sel, fmt.Sprintf("CAST(NULL AS %s) AS %s", typ, quoteIdent(c.Name)))
		if len(files) > 0 {
			info.MissingColumns = append(info.MissingColumns, c.Name)
		}
	}
	var view string
	if len(files) > 0 {
		view = fmt.Sprintf("CREATE VIEW %s AS SELECT %s FROM %s", quoteIdent(t.Name), strings.Join(sel, ", "), source)
	} else {
		view = fmt.Sprintf("CREATE VIEW %s AS SELECT %s WHERE false", quoteIdent(t.Name), strings.Join(sel, ", "))
	}
	if _, err := w.db.ExecContext(ctx, view); err != nil {
		return info, err
	}
	sort.Strings(info.MissingColumns)
	return info, nil
}

// duckType is the DuckDB type of a schema column, as DuckDB reads the
// Parquet the warehouse writes: a REPEATED RECORD is a list of STRUCTs.
func duckType(c schemas.Column) (string, error) {
	if c.Type == "RECORD" {
		defs := make([]string, len(c.Fields))
		for i, f := range c.Fields {
			typ, err := duckType(f)
			if err != nil {
				return "", fmt.Errorf("column %s: %w", c.Name, err)
			}
			defs[i] = quoteIdent(f.Name) + " " + typ
		}
		return "STRUCT(" + strings.Join(defs, ", ") + ")[]", nil // only REPEATED records (schemas checks it)
	}
	types := map[string]string{
		"STRING":    "VARCHAR",
		"INT64":     "BIGINT",
		"FLOAT64":   "DOUBLE",
		"BOOL":      "BOOLEAN",
		"DATE":      "DATE",
		"TIMESTAMP": "TIMESTAMPTZ",
	}
	typ, ok := types[c.Type]
	if !ok {
		return "", fmt.Errorf("column %s: no DuckDB type for %s", c.Name, c.Type)
	}
	if c.Mode == "REPEATED" {
		typ += "[]"
	}
	return typ, nil
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
