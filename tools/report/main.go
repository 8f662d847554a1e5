// Command report writes the report of a batch run: one self-contained HTML
// file, <warehouse>/_runs/<run_id>.html, that opens offline in a browser.
//
//	report                          # the latest run of ./warehouse
//	report --warehouse w --run_id 20261101T000000Z-ab12cd34 --out run.html
//
// Every figure comes from the local warehouse through .sql files of sql/,
// run on DuckDB by tools/query/warehousesql as the query tool runs them: the
// run's own account (sql/report/run.sql, run_outcomes.sql,
// run_partitions.sql), and over the dates the run owns the funnel
// (sql/daily_funnel.sql), sessions and conversion per hour by channel group
// (sql/report/hourly_sessions.sql), the top landing pages
// (sql/landing_pages.sql) and sessions by country
// (sql/report/sessions_by_country.sql, with DB-IP's attribution). The charts
// are drawn by Chart.js, embedded in the file (assets/). It prints the
// report's path.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/example/clickstream/tools/query/warehousesql"
)

var (
	whDir  = flag.String("warehouse", "warehouse", "Local warehouse directory (the pipeline's --output).")
	runID  = flag.String("run_id", "", "The run to report on (runs.run_id). Default: the latest run in the warehouse.")
	sqlDir = flag.String("sql_dir", "sql", "Directory of the queries (sql/ of the repo).")
	out    = flag.String("out", "", "File to write. Default: <warehouse>/_runs/<run_id>.html.")
)

func main() {
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "report: unexpected arguments %v\n", flag.Args())
		os.Exit(2)
	}
	path, err := run(context.Background(), *whDir, *sqlDir, *runID, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "report: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("report: %s\n", path)
}

// run writes the report of runID ("" for the latest run) of the warehouse
// dir to path ("" for <dir>/_runs/<run_id>.html) and returns the path.
func run(ctx context.Context, dir, sqlDir, runID, path string) (_ string, err error) {
	w, err := warehousesql.Open(ctx, dir)
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	r, err := gather(ctx, w, sqlDir, runID)
	if err != nil {
		return "", err
	}
	if path == "" {
		path = filepath.Join(dir, "_runs", r.Run.ID+".html")
	}
	if err := writeFile(path, r); err != nil {
		return "", err
	}
	return path, nil
}

// writeFile renders the report into path through a temporary file, so a
// browser showing path never reads half a report.
func writeFile(path string, r *report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".report-*.html")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer func() { _ = os.Remove(f.Name()) }() // gone after the rename
	if err := render(f, r); err != nil {
		_ = f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
