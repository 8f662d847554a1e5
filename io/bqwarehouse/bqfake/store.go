package bqfake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
	bqv2 "google.golang.org/api/bigquery/v2"

	"github.com/example/clickstream/io/internal/duckvalues"
)

// The server keeps every table's rows in an embedded DuckDB database: one
// DuckDB schema per dataset, one DuckDB table per BigQuery table, with the
// table's columns (REQUIRED as NOT NULL, REPEATED as a list). Load jobs,
// query jobs and the test's reads all see that one copy.

// store is the DuckDB database of a server.
type store struct {
	connector *duckdb.Connector
	db        *sql.DB
}

func openStore(ctx context.Context) (*store, error) {
	connector, err := duckdb.NewConnector("", func(conn driver.ExecerContext) error {
		// Per connection: DATE casts of TIMESTAMP values and their text are
		// UTC, as in BigQuery.
		_, err := conn.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bqfake: open duckdb: %w", err)
	}
	st := &store{connector: connector, db: sql.OpenDB(connector)}
	// A connection given back is closed, so that the temporary tables of a
	// job outside a session end with it.
	st.db.SetMaxIdleConns(0)
	if err := createDialect(ctx, st.db); err != nil {
		return nil, errors.Join(err, st.close())
	}
	return st, nil
}

func (st *store) close() error {
	return errors.Join(st.db.Close(), st.connector.Close())
}

// duckColumn is the DuckDB column definition of a BigQuery column.
func duckColumn(f *bqv2.TableFieldSchema) (string, error) {
	typ, err := duckFieldType(f)
	if err != nil {
		return "", err
	}
	switch f.Mode {
	case "REPEATED":
		typ += "[]"
	case "REQUIRED":
		typ += " NOT NULL"
	}
	return quoteIdent(f.Name) + " " + typ, nil
}

// duckFieldType is the DuckDB type of a BigQuery column, without its mode:
// a RECORD is a STRUCT of its fields (a field REPEATED as a list).
func duckFieldType(f *bqv2.TableFieldSchema) (string, error) {
	if strings.ToUpper(f.Type) != "RECORD" && strings.ToUpper(f.Type) != "STRUCT" {
		typ, err := duckType(f.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", f.Name, err)
		}
		return typ, nil
	}
	defs := make([]string, len(f.Fields))
	for i, sub := range f.Fields {
		typ, err := duckFieldType(sub)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", f.Name, err)
		}
		if sub.Mode == "REPEATED" {
			typ += "[]"
		}
		defs[i] = quoteIdent(sub.Name) + " " + typ
	}
	return "STRUCT(" + strings.Join(defs, ", ") + ")", nil
}

// duckType is the DuckDB type of a BigQuery column type, in either the
// API's legacy name or the standard one.
func duckType(bqType string) (string, error) {
	switch strings.ToUpper(bqType) {
	case "STRING":
		return "VARCHAR", nil
	case "BYTES":
		return "BLOB", nil
	case "INTEGER", "INT64":
		return "BIGINT", nil
	case "FLOAT", "FLOAT64":
		return "DOUBLE", nil
	case "BOOLEAN", "BOOL":
		return "BOOLEAN", nil
	case "DATE":
		return "DATE", nil
	case "TIMESTAMP":
		return "TIMESTAMPTZ", nil
	case "DATETIME":
		return "TIMESTAMP", nil
	}
	return "", fmt.Errorf("bqfake: type %s is not implemented", bqType)
}

// bqField is the BigQuery column of a DuckDB result column: its type in
// the API's legacy names (a STRUCT as a RECORD of its fields), NULLABLE, or
// REPEATED for a list.
func bqField(name, duck string) (*bqv2.TableFieldSchema, error) {
	f := &bqv2.TableFieldSchema{Name: name, Mode: "NULLABLE"}
	if elem, ok := strings.CutSuffix(duck, "[]"); ok {
		f.Mode, duck = "REPEATED", elem
	}
	if inner, ok := strings.CutPrefix(duck, "STRUCT("); ok && strings.HasSuffix(inner, ")") {
		f.Type = "RECORD"
		for _, def := range splitTopLevel(strings.TrimSuffix(inner, ")")) {
			sub, typ, err := structField(def)
			if err != nil {
				return nil, fmt.Errorf("bqfake: column %s: %w", name, err)
			}
			sf, err := bqField(sub, typ)
			if err != nil {
				return nil, err
			}
			f.Fields = append(f.Fields, sf)
		}
		return f, nil
	}
	switch {
	case duck == "VARCHAR":
		f.Type = "STRING"
	case duck == "BLOB":
		f.Type = "BYTES"
	case duck == "BIGINT", duck == "INTEGER", duck == "SMALLINT", duck == "TINYINT", duck == "HUGEINT",
		duck == "UBIGINT", duck == "UINTEGER", duck == "USMALLINT", duck == "UTINYINT":
		// HUGEINT is DuckDB's SUM of integers; BigQuery's is an INT64.
		f.Type = "INTEGER"
	case duck == "DOUBLE", duck == "FLOAT", strings.HasPrefix(duck, "DECIMAL"):
		f.Type = "FLOAT"
	case duck == "BOOLEAN":
		f.Type = "BOOLEAN"
	case duck == "DATE":
		f.Type = "DATE"
	case duck == "TIMESTAMPTZ", duck == "TIMESTAMP WITH TIME ZONE":
		f.Type = "TIMESTAMP"
	case duck == "TIMESTAMP":
		f.Type = "DATETIME"
	default:
		return nil, fmt.Errorf("bqfake: column %s: DuckDB type %s has no BigQuery type here", name, duck)
	}
	return f, nil
}

// splitTopLevel splits a STRUCT's field list at the commas outside
// parentheses and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, start, quoted := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// structField splits one field of a DuckDB STRUCT type, `"name" TYPE` or
// `name TYPE`, into its name and type.
func structField(def string) (name, typ string, err error) {
	if rest, ok := strings.CutPrefix(def, `"`); ok {
		end := strings.Index(rest, `"`)
		if end < 0 {
			return "", "", fmt.Errorf("STRUCT field %q", def)
		}
		return rest[:end], strings.TrimSpace(rest[end+1:]), nil
	}
	name, typ, ok := strings.Cut(def, " ")
	if !ok {
		return "", "", fmt.Errorf("STRUCT field %q", def)
	}
	return name, strings.TrimSpace(typ), nil
}

// schemaOf is the BigQuery schema of a DuckDB result.
func schemaOf(rows *sql.Rows) (*bqv2.TableSchema, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	schema := &bqv2.TableSchema{}
	for _, t := range types {
		f, err := bqField(t.Name(), t.DatabaseTypeName())
		if err != nil {
			return nil, err
		}
		schema.Fields = append(schema.Fields, f)
	}
	return schema, nil
}

// createTable creates the DuckDB table of a BigQuery table.
func createTable(ctx context.Context, q querier, dataset, name string, schema *bqv2.TableSchema) error {
	defs := make([]string, len(schema.Fields))
	for i, f := range schema.Fields {
		def, err := duckColumn(f)
		if err != nil {
			return err
		}
		defs[i] = def
	}
	_, err := q.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", tableName(dataset, name), strings.Join(defs, ", ")))
	return err
}

// replaceRows makes rows the content of partition of t (YYYYMMDD), or of
// the whole table when partition is "", in one DuckDB transaction.
func (st *store) replaceRows(ctx context.Context, dataset string, t *table, partition string, rows []map[string]any) (err error) {
	conn, err := st.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	name := t.meta.TableReference.TableId
	del := "DELETE FROM " + tableName(dataset, name)
	if partition != "" {
		del += fmt.Sprintf(" WHERE %s = %s", partitionSQL(t), quoteString(partition))
	}
	if _, err := conn.ExecContext(ctx, del); err != nil {
		return errors.Join(err, rollback(ctx, conn))
	}
	if err := appendRows(conn, dataset, name, t.meta.Schema, rows); err != nil {
		return errors.Join(err, rollback(ctx, conn))
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// appendRows appends rows with DuckDB's appender.
func appendRows(conn *sql.Conn, dataset, name string, schema *bqv2.TableSchema, rows []map[string]any) error {
	return conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), dataset, name)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(schema.Fields))
		for _, row := range rows {
			for i, f := range schema.Fields {
				vals[i] = row[f.Name]
			}
			if err := a.AppendRow(vals...); err != nil {
				return errors.Join(err, a.Close())
			}
		}
		return a.Close()
	})
}

func rollback(ctx context.Context, q querier) error {
	_, err := q.ExecContext(ctx, "ROLLBACK")
	return err
}

// rowsOf returns a table's rows ordered by partition id, then as written.
func (st *store) rowsOf(ctx context.Context, dataset string, t *table) ([]map[string]any, error) {
	order := "rowid"
	if t.meta.TimePartitioning != nil {
		order = partitionSQL(t) + ", rowid"
	}
	return readRows(ctx, st.db, fmt.Sprintf("SELECT * FROM %s ORDER BY %s", tableName(dataset, t.meta.TableReference.TableId), order))
}

// partitions counts a table's rows per partition id.
func (st *store) partitions(ctx context.Context, dataset string, t *table) (map[string]int, error) {
	rows, err := readRows(ctx, st.db, fmt.Sprintf("SELECT %s AS id, COUNT(*) AS n FROM %s GROUP BY 1",
		partitionSQL(t), tableName(dataset, t.meta.TableReference.TableId)))
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r["id"].(string)] = int(r["n"].(int64))
	}
	return out, nil
}

// querier is a *sql.DB, *sql.Conn or *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// tableName is the DuckDB name of a table of a dataset.
func tableName(dataset, table string) string { return quoteIdent(dataset) + "." + quoteIdent(table) }

// partitionSQL is the SQL expression of the partition a row of t belongs to:
// the UTC date of its partition column as YYYYMMDD, __NULL__ when that is
// NULL, the empty string for an unpartitioned table.
func partitionSQL(t *table) string {
	p := t.meta.TimePartitioning
	if p == nil {
		return "''"
	}
	return fmt.Sprintf("COALESCE(strftime(CAST(%s AS DATE), '%%Y%%m%%d'), '__NULL__')", quoteIdent(p.Field))
}

// readRows returns the rows of a query: values normalized (see Server.Rows),
// keyed by column name.
func readRows(ctx context.Context, q querier, query string, args ...any) ([]map[string]any, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read: errors surface in rows.Err
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		vals, err := duckvalues.ScanRow(rows, len(cols))
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
