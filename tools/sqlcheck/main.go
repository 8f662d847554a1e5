// Command sqlcheck checks the repository's BigQuery SQL without a cloud:
// every statement of every .sql file under -sql is analyzed by GoogleSQL's
// own front end (github.com/goccy/go-googlesql, pure Go) with BigQuery's
// language options, against a catalog of the tables in -tables, of the
// views under <sql>/views and, for the models of a directory with a
// step.json (sql/models), of the inputs it declares and the models before. It reports unknown tables and columns, syntax
// BigQuery does not have (DuckDB's * EXCLUDE, ::, ILIKE ...), unknown
// functions, type mismatches and ungrouped columns, file by file, and
// exits 1 if any file is rejected.
//
//	go run . -tables ../../schemas/tables -sql ../../sql
//
// Query parameters are declared in each file's header; see declaredParams
// and README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	tables := flag.String("tables", "schemas/tables", "directory of the table definitions (BigQuery schema JSON, one table per file)")
	sqlDir := flag.String("sql", "sql", "directory searched for .sql files; those under its views/ are views")
	flag.Parse()

	c, err := newChecker(*tables)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqlcheck:", err)
		os.Exit(2)
	}
	results, err := c.checkTree(*sqlDir, filepath.Join(*sqlDir, "views"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqlcheck:", err)
		os.Exit(2)
	}
	rejected, statements := 0, 0
	for _, r := range results {
		statements += r.statements
		if r.err != nil {
			rejected++
			fmt.Fprintf(os.Stderr, "%s: %v\n", r.path, r.err)
		}
	}
	fmt.Printf("sqlcheck: %d files, %d statements analyzed against %d tables and %d views (models: %d step inputs, %d model results); %d rejected\n",
		len(results), statements, c.tables, c.views, c.inputs, c.models, rejected)
	if rejected > 0 {
		os.Exit(1)
	}
}
