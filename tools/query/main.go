// Command query runs an analysis query of sql/ (BigQuery Standard SQL), or
// any query given inline, on the local warehouse with embedded DuckDB and
// prints the result.
//
//	query --query daily_funnel
//	query --query sql/landing_pages.sql --start_date 2026-11-01 --end_date 2026-11-07 --format csv
//	query --sql 'SELECT run_id, reconciled, problems FROM runs ORDER BY started'
//	query --list
//
// Run it with --help for every flag; package warehousesql says how the tables
// are read and the parameters translated.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

var (
	whDir    = flag.String("warehouse", "warehouse", "Local warehouse directory (Hive-partitioned Parquet, as the pipeline's --output).")
	query    = flag.String("query", "", "Query to run: a name in --sql_dir (daily_funnel) or a path to a .sql file. Required unless --sql or --list.")
	inline   = flag.String("sql", "", "Query text to run instead of --query, e.g. 'SELECT * FROM run_partitions WHERE run_id = @run_id' with --param run_id:STRING=<id>.")
	sqlDir   = flag.String("sql_dir", "sql", "Directory of the named queries.")
	start    = flag.String("start_date", "", "@start_date (YYYY-MM-DD, inclusive). Default: the first partition date of fact_events and fact_sessions.")
	end      = flag.String("end_date", "", "@end_date (YYYY-MM-DD, inclusive). Default: the last partition date of fact_events and fact_sessions.")
	lookback = flag.Int("lookback_days", 30, "@lookback_days, for queries that look back from a conversion (attribution_first_last_touch).")
	format   = flag.String("format", "table", "Output format: table (aligned text), csv or json.")
	list     = flag.Bool("list", false, "List the queries in --sql_dir with what each answers, and exit.")
	params   paramFlag
)

func init() {
	flag.Var(&params, "param", "Another query parameter, name=value (repeatable). The value's type is DATE if it is YYYY-MM-DD, INT64 if an integer, FLOAT64 if a number, BOOL if true or false, otherwise STRING; name:STRING=value forces STRING.")
}

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, `Usage: query --query NAME|PATH [flags]
       query --sql 'SELECT ...' [flags]
       query --list

Runs a BigQuery Standard SQL file of sql/ (or the query text of --sql) on
the local warehouse with DuckDB and prints the result. Every table of
schemas/tables is a view of the same name over its Parquet files
(<warehouse>/<table>/*/*.parquet, or <warehouse>/<table>/*.parquet for a
dimension): the facts, the dimensions, the dimension step's state_* tables
and the runs' own account (runs, run_outcomes, run_partitions), e.g.
  query --sql 'SELECT run_id, dates_owned, reconciled, problems FROM runs ORDER BY started'
@name parameters become DuckDB parameters of the declared type
(CAST($name AS type)).

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fail(2, fmt.Errorf("unexpected arguments %v", flag.Args()))
	}
	if *list {
		if err := listQueries(); err != nil {
			fail(1, err)
		}
		return
	}
	if (*query == "") == (*inline == "") {
		fail(2, errors.New("give --query or --sql (or --list)"))
	}
	if !slices.Contains(warehousesql.Formats, *format) {
		fail(2, fmt.Errorf("--format %q: want one of %s", *format, strings.Join(warehousesql.Formats, ", ")))
	}
	if err := run(context.Background()); err != nil {
		fail(1, err)
	}
}

func run(ctx context.Context) (err error) {
	path := "--sql"
	if *inline == "" {
		path = warehousesql.QueryPath(*sqlDir, *query)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("query %s: %w (see --list)", *query, err)
		}
	}
	w, err := warehousesql.Open(ctx, *whDir)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	text := *inline
	if text == "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("query %s: %w", *query, err)
		}
		text = string(b)
	}
	for _, t := range w.Tables() {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(t.Name) + `\b`).MatchString(text) {
			continue // the query does not read it: no note (a batch run writes no reconciliation rows)
		}
		if t.Files == 0 {
			fmt.Fprintf(os.Stderr, "note: %s has no files under %s/%s: it reads as an empty table\n", t.Name, w.Dir(), t.Name)
		} else if len(t.MissingColumns) > 0 {
			fmt.Fprintf(os.Stderr, "note: %s: no file has %s: read as NULL\n", t.Name, strings.Join(t.MissingColumns, ", "))
		}
	}
	p, err := queryParams(w)
	if err != nil {
		return err
	}
	var res *warehousesql.Result
	if *inline != "" {
		if res, err = w.Run(ctx, *inline, p); err != nil {
			return fmt.Errorf("--sql: %w", err)
		}
	} else if res, err = w.RunFile(ctx, path, p); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s, %s..%s, warehouse %s\n", path, p["start_date"], p["end_date"], w.Dir())
	return warehousesql.Write(os.Stdout, res, *format)
}

func queryParams(w *warehousesql.Warehouse) (warehousesql.Params, error) {
	first, last, ok := w.DateRange()
	p := warehousesql.Params{"lookback_days": int64(*lookback)}
	for name, flagValue := range map[string]string{"start_date": *start, "end_date": *end} {
		if flagValue == "" {
			if !ok && *inline != "" {
				continue // the query text may use no dates
			}
			if !ok {
				return nil, fmt.Errorf("the warehouse %s has no fact partitions: give --start_date and --end_date", w.Dir())
			}
			p[name] = first
			if name == "end_date" {
				p[name] = last
			}
			continue
		}
		d, err := models.ParseDate(flagValue)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", name, err)
		}
		p[name] = d
	}
	for name, v := range params {
		p[name] = v
	}
	return p, nil
}

func listQueries() error {
	names, err := warehousesql.Queries(*sqlDir)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no .sql files in %s", *sqlDir)
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		title, _, _ := strings.Cut(warehousesql.Summary(warehousesql.QueryPath(*sqlDir, n)), ": ")
		fmt.Printf("%-*s  %s\n", width, n, title)
	}
	return nil
}

// paramFlag collects --param name=value.
type paramFlag map[string]any

func (p *paramFlag) String() string { return "" }

func (p *paramFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	if *p == nil {
		*p = paramFlag{}
	}
	if n, ok := strings.CutSuffix(name, ":STRING"); ok {
		(*p)[n] = value
		return nil
	}
	(*p)[name] = typed(value)
	return nil
}

func typed(s string) any {
	if d, err := models.ParseDate(s); err == nil {
		return d
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
		return b
	}
	return s
}

func fail(code int, err error) {
	fmt.Fprintf(os.Stderr, "query: %v\n", err)
	if code == 2 {
		fmt.Fprintln(os.Stderr, "Run with --help for the flags.")
	}
	os.Exit(code)
}
