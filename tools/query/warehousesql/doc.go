// Package warehousesql runs the analysis queries of sql/ (BigQuery Standard
// SQL) on the local warehouse with embedded DuckDB (io/warehouse/duck): the
// reusable part of the query tool (tools/query), for tests and for make
// targets. The views over the tables, the parameters and the SQL dialect
// are duck's.
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
// CreateViews adds the views of sql/views (BigQuery templates, their table
// references made bare), as make duckdb (query --shell) does for ad-hoc SQL.
package warehousesql
