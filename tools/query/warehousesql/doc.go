// Package warehousesql runs the analysis queries of sql/ (BigQuery Standard
// SQL) on the local warehouse with embedded DuckDB: the reusable part of the
// query tool (tools/query), for tests and for make targets.
//
//	w, err := warehousesql.Open(ctx, "warehouse")
//	...
//	defer w.Close()
//	start, end, _ := w.DateRange()
//	res, err := w.RunFile(ctx, "sql/daily_funnel.sql", warehousesql.Params{
//		"start_date": start, "end_date": end,
//	})
//	warehousesql.Write(os.Stdout, res, "table")
//
// # Tables
//
// Open creates one view per table of schemas/tables, named like the table
// (fact_events, fact_sessions, bot_events, dead_letter), over
// read_parquet('<warehouse>/<table>/*/*.parquet', hive_partitioning = false):
// the partition column is stored in the files too, so the directory names
// are not needed. A view always has the table's schema columns in schema
// order; a table without files is an empty view, and a column missing from
// older files reads as NULL (Table says which). The session's time zone is
// UTC, so TIMESTAMP columns (TIMESTAMPTZ in DuckDB) cast to DATE and print in
// UTC, as in BigQuery.
//
// # Parameters
//
// The queries use BigQuery's named parameters (@start_date). DuckDB's are
// $name, and DuckDB cannot always infer a parameter's type (in
// @end_date + 1 it cannot), while a BigQuery caller declares it. So
// Translate rewrites each @name to CAST($name AS <type>), the type given by
// the Go type of the value (Params: Date is DATE, int64 INT64, ...), and the
// value is bound by name; a DATE is bound as its YYYY-MM-DD text, and an
// INT64 that fits 32 bits is cast to INTEGER, because DuckDB's date
// arithmetic is DATE +/- INTEGER (BigQuery's is DATE +/- INT64). Text in
// string literals, quoted identifiers and comments is left alone.
//
// # SQL dialect
//
// The sql/ files are written in what BigQuery and DuckDB both accept: no
// COUNTIF (COUNT(CASE WHEN .. THEN 1 END)), no SAFE_DIVIDE (x / NULLIF(y, 0);
// / on integers is floating-point division in both), date arithmetic as
// DATE +/- INT64, no QUALIFY, no UNNEST ... WITH OFFSET, no backtick quoting,
// and unqualified table names (BigQuery callers set the default dataset).
package warehousesql
