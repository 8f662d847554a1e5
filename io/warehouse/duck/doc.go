// Package duck runs the project's shared SQL (the analyses of sql/ and the
// dimension models of sql/models, written once for BigQuery and DuckDB) on
// the local warehouse with embedded DuckDB. It needs cgo: the Dataflow
// worker, built with CGO_ENABLED=0, never links it.
//
//	db, err := duck.Open(ctx, "warehouse")
//	...
//	defer db.Close()
//	res, err := db.Run(ctx, "SELECT COUNT(*) FROM fact_events WHERE event_date = @day",
//		models.Params{"day": models.DateOf(day)})
//
// Engine is the local engine of the dimension step (io/dimensions): it runs
// the models as DuckDB temporary tables, counts the rows each reads, and
// stores their results through the warehouse's journaled commit.
//
// # Tables
//
// Open creates one view per table of schemas/tables, named like the table,
// over read_parquet('<warehouse>/<table>/*/*.parquet', hive_partitioning =
// true) (<warehouse>/<table>/*.parquet for an unpartitioned table). The
// partition column is stored in the files too; Hive partitioning lets a
// filter on it skip the other partitions' files. A view always has the
// table's schema columns in schema order; a table without files is an
// empty view, and a column missing from older files reads as NULL (Table
// says which). The session's time zone is UTC, so TIMESTAMP columns
// (TIMESTAMPTZ in DuckDB) cast to DATE and print in UTC, as in BigQuery.
//
// # Parameters
//
// The SQL uses BigQuery's named parameters (@start_date). DuckDB's are
// $name, and DuckDB cannot always infer a parameter's type (in
// @end_date + 1 it cannot), while a BigQuery caller declares it. So
// Translate rewrites each @name to CAST($name AS <type>), the type given by
// the Go type of the value (models.Params: models.Date is DATE, int64
// INT64, ...), and the value is bound by name; a DATE is bound as its
// YYYY-MM-DD text, and an INT64 that fits 32 bits is cast to INTEGER,
// because DuckDB's date arithmetic is DATE +/- INTEGER (BigQuery's is
// DATE +/- INT64). Text in string literals, quoted identifiers and comments
// is left alone.
//
// # SQL dialect
//
// The shared SQL is written in what BigQuery (GoogleSQL) and DuckDB both
// accept:
//   - no COUNTIF (COUNT(CASE WHEN .. THEN 1 END)), no LOGICAL_OR
//     (MAX(CASE ..) = 1), no SAFE_DIVIDE (x / NULLIF(y, 0); / on integers
//     is floating-point division in both);
//   - date arithmetic as DATE +/- INT64, no DATE_ADD/DATE_SUB/DATE_DIFF;
//     timestamp arithmetic on UNIX_MICROS;
//   - no QUALIFY (filter a ROW_NUMBER in an outer query), no UNNEST ...
//     WITH OFFSET, no array parameters, no backtick quoting, unqualified
//     table names (BigQuery callers set the default dataset);
//   - LAG and LEAD without IGNORE NULLS (BigQuery has none), and every
//     ORDER BY over a nullable column says NULLS FIRST or NULLS LAST (the
//     engines' defaults differ);
//   - no GREATEST or LEAST where an argument can be NULL (DuckDB ignores
//     NULLs, BigQuery returns NULL);
//   - SUM over integers cast to INT64 (DuckDB's sum is a HUGEINT);
//   - no hash functions: ids (page_key, session_id) come from the facts.
//
// Where DuckDB lacks a GoogleSQL function the SQL needs, dialect.go defines
// it in DuckDB under the GoogleSQL name (REGEXP_CONTAINS, UNIX_MICROS): the
// one place the dialects differ, but for one rewrite that Translate makes: a
// table UNNEST (FROM t, UNNEST(t.items) AS i) is written as in BigQuery, and
// i.item_id names a field of the REPEATED RECORD's element in both engines
// (see Translate). The tests of tools/query/warehousesql check
// the files for the constructs above.
package duck
