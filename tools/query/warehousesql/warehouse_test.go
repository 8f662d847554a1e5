package warehousesql_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestEmptyWarehouse: without files every table is an empty view with its
// schema's columns, so every query binds and returns no rows.
func TestEmptyWarehouse(t *testing.T) {
	ctx := context.Background()
	w, err := warehousesql.Open(ctx, filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, _, ok := w.DateRange(); ok {
		t.Error("an empty warehouse has a date range")
	}
	if got, want := len(w.Tables()), len(schemas.Tables()); got != want {
		t.Errorf("%d views, %d tables", got, want)
	}
	for _, tb := range w.Tables() {
		if tb.Files != 0 || len(tb.Dates) != 0 || len(tb.MissingColumns) != 0 {
			t.Errorf("%s: %+v, want an empty table", tb.Name, tb)
		}
	}
	day, _ := models.ParseDate("2026-11-01")
	names, err := warehousesql.Queries(sqlDir)
	if err != nil || len(names) == 0 {
		t.Fatalf("queries in %s: %v %v", sqlDir, names, err)
	}
	for _, name := range names {
		res, err := w.RunFile(ctx, warehousesql.QueryPath(sqlDir, name), warehousesql.Params{"start_date": day, "end_date": day, "lookback_days": int64(30)})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(res.Rows) != 0 {
			t.Errorf("%s: %d rows from an empty warehouse", name, len(res.Rows))
		}
	}
}

// TestOpenOlderFiles: a partition written before a column existed (here
// with only a few columns) reads with NULL for the others, and Open says so.
func TestOpenOlderFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	part := filepath.Join(dir, "fact_events", "event_date=2026-11-01")
	if err := os.MkdirAll(part, 0o755); err != nil {
		t.Fatal(err)
	}
	scratch, err := warehousesql.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = scratch.SQL().ExecContext(ctx, `COPY (SELECT DATE '2026-11-01' AS event_date, 'e1' AS event_id, 'search' AS event_type,
		TIMESTAMPTZ '2026-11-01 23:30:00+00' AS event_time, 'Red Shoes ' AS search_query)
		TO '`+filepath.Join(part, "part-0.parquet")+`' (FORMAT PARQUET)`)
	scratch.Close()
	if err != nil {
		t.Fatal(err)
	}
	w, err := warehousesql.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, tb := range w.Tables() {
		if tb.Name != "fact_events" {
			continue
		}
		if tb.Files != 1 || len(tb.Dates) != 1 || !contains(tb.MissingColumns, "session_id") || contains(tb.MissingColumns, "event_id") {
			t.Errorf("fact_events: %+v", tb)
		}
	}
	first, last, ok := w.DateRange()
	if !ok || first.String() != "2026-11-01" || last != first {
		t.Errorf("date range %s..%s %v", first, last, ok)
	}
	res, err := w.RunFile(ctx, warehousesql.QueryPath(sqlDir, "search_terms"), warehousesql.Params{"start_date": first, "end_date": last})
	if err != nil {
		t.Fatal(err)
	}
	// session_id is NULL: the search has no session, so no session counts.
	if len(res.Rows) != 1 || res.Rows[0][0] != "red shoes" || res.Rows[0][1] != int64(1) || res.Rows[0][2] != int64(0) {
		t.Errorf("search_terms on the old partition: %v", res.Rows)
	}
	// Timestamps are read and cast in UTC.
	res, err = w.Run(ctx, "SELECT CAST(event_time AS DATE) AS d, event_time FROM fact_events WHERE event_date = @start_date", warehousesql.Params{"start_date": first})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0][0].(time.Time).Format(time.DateOnly); got != "2026-11-01" {
		t.Errorf("23:30 UTC cast to DATE is %s", got)
	}
	var out bytes.Buffer
	if err := warehousesql.Write(&out, res, "csv"); err != nil {
		t.Fatal(err)
	}
	if want := "d,event_time\n2026-11-01,2026-11-01T23:30:00Z\n"; out.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", out.String(), want)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestQueriesArePortable checks what the engines cannot: each query has its
// header (what it answers, parameters, grain), reads the fact tables only
// through their partition filter, and avoids syntax only one of BigQuery
// and DuckDB accepts.
func TestQueriesArePortable(t *testing.T) {
	names, err := warehousesql.Queries(sqlDir)
	if err != nil {
		t.Fatal(err)
	}
	partition := map[string]string{}
	for _, tb := range schemas.Tables() {
		partition[tb.Name] = tb.TimePartitioning.Field
	}
	from := regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([a-z_]+)\b`)
	notPortable := map[string]*regexp.Regexp{
		"COUNTIF (BigQuery only)":                           regexp.MustCompile(`(?i)\bCOUNTIF\s*\(`),
		"SAFE_DIVIDE (BigQuery only)":                       regexp.MustCompile(`(?i)\bSAFE_DIVIDE\s*\(`),
		"SAFE. functions (BigQuery only)":                   regexp.MustCompile(`(?i)\bSAFE\.`),
		"backtick quoting (BigQuery only)":                  regexp.MustCompile("`"),
		"WITH OFFSET (BigQuery only)":                       regexp.MustCompile(`(?i)\bWITH\s+OFFSET\b`),
		"OFFSET()/ORDINAL() array indexing":                 regexp.MustCompile(`(?i)\[\s*(SAFE_)?(OFFSET|ORDINAL)\s*\(`),
		"DATE_SUB/DATE_ADD/DATE_DIFF (different arguments)": regexp.MustCompile(`(?i)\bDATE_(SUB|ADD|DIFF)\s*\(`),
		":: casts (DuckDB only)":                            regexp.MustCompile(`::`),
		"FILTER (WHERE ...) (not BigQuery)":                 regexp.MustCompile(`(?i)\bFILTER\s*\(\s*WHERE`),
		"QUALIFY (BigQuery wants WHERE/GROUP BY with it)":   regexp.MustCompile(`(?i)\bQUALIFY\b`),
		"$ parameters (DuckDB only)":                        regexp.MustCompile(`\$[a-z0-9]`),
		"ILIKE (DuckDB only)":                               regexp.MustCompile(`(?i)\bILIKE\b`),
		"r'' raw strings (BigQuery only)":                   regexp.MustCompile(`\br'`),
	}
	for _, name := range names {
		path := warehousesql.QueryPath(sqlDir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		var header, body []string
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "--") && len(body) == 0 {
				header = append(header, line)
			} else {
				body = append(body, regexp.MustCompile(`--.*`).ReplaceAllString(line, ""))
			}
		}
		head := strings.Join(header, "\n")
		if warehousesql.Summary(path) == "" || !strings.Contains(head, "Parameters:") || !strings.Contains(head, "Grain:") {
			t.Errorf("%s: the header comment must say what the query answers, its Parameters: and its Grain:", name)
		}
		sqlText := strings.Join(body, "\n")
		for what, re := range notPortable {
			if re.MatchString(sqlText) {
				t.Errorf("%s: %s", name, what)
			}
		}
		// Each read of a partitioned table is followed, within its SELECT, by
		// a BETWEEN on its partition column.
		for _, m := range from.FindAllStringSubmatchIndex(sqlText, -1) {
			table := sqlText[m[2]:m[3]]
			col, ok := partition[table]
			if !ok {
				continue
			}
			rest := sqlText[m[1]:]
			if end := strings.Index(rest, "\n)"); end >= 0 {
				rest = rest[:end]
			}
			if !regexp.MustCompile(`\b` + col + `\s+BETWEEN\s+@start_date\b`).MatchString(rest) {
				t.Errorf("%s: %s is read without the filter %s BETWEEN @start_date ...", name, table, col)
			}
		}
	}
}
