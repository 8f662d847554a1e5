package warehousesql_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestEmptyWarehouse: without files every table is an empty view with its
// schema's columns, so every query binds and returns no rows.
// sqlDir holds the queries of the repository.
const sqlDir = "../../../sql"

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
		res, err := w.RunFile(ctx, warehousesql.QueryPath(sqlDir, name), warehousesql.Params{"start_date": day, "end_date": day, "lookback_days": int64(30), "page_path": "/"})
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

// notPortable is SQL that only one of BigQuery and DuckDB accepts, or that
// they read differently; io/warehouse/duck's documentation lists the rules.
var notPortable = map[string]*regexp.Regexp{
	"COUNTIF (BigQuery only)":                                                    regexp.MustCompile(`(?i)\bCOUNTIF\s*\(`),
	"SAFE_DIVIDE (BigQuery only)":                                                regexp.MustCompile(`(?i)\bSAFE_DIVIDE\s*\(`),
	"SAFE. functions (BigQuery only)":                                            regexp.MustCompile(`(?i)\bSAFE\.`),
	"backtick quoting (BigQuery only)":                                           regexp.MustCompile("`"),
	"WITH OFFSET (BigQuery only)":                                                regexp.MustCompile(`(?i)\bWITH\s+OFFSET\b`),
	"OFFSET()/ORDINAL() array indexing":                                          regexp.MustCompile(`(?i)\[\s*(SAFE_)?(OFFSET|ORDINAL)\s*\(`),
	"DATE_SUB/DATE_ADD/DATE_DIFF (different arguments)":                          regexp.MustCompile(`(?i)\bDATE_(SUB|ADD|DIFF)\s*\(`),
	"TIMESTAMP_SUB/ADD/DIFF and INTERVAL (spelled differently; use UNIX_MICROS)": regexp.MustCompile(`(?i)\bTIMESTAMP_(SUB|ADD|DIFF)\s*\(|\bINTERVAL\b`),
	":: casts (DuckDB only)":                                                     regexp.MustCompile(`::`),
	"FILTER (WHERE ...) (not BigQuery)":                                          regexp.MustCompile(`(?i)\bFILTER\s*\(\s*WHERE`),
	"QUALIFY (BigQuery wants WHERE/GROUP BY with it)":                            regexp.MustCompile(`(?i)\bQUALIFY\b`),
	"$ parameters (DuckDB only)":                                                 regexp.MustCompile(`\$[a-z0-9]`),
	"ILIKE (DuckDB only)":                                                        regexp.MustCompile(`(?i)\bILIKE\b`),
	"r'' raw strings (BigQuery only)":                                            regexp.MustCompile(`\br'`),
	"IGNORE NULLS on LAG/LEAD (BigQuery has none)":                               regexp.MustCompile(`(?i)\b(LAG|LEAD)\s*\((?:[^()]|\([^()]*\))*\bIGNORE\s+NULLS\b`),
	"GREATEST/LEAST (NULL arguments differ)":                                     regexp.MustCompile(`(?i)\b(GREATEST|LEAST)\s*\(`),
	"LOGICAL_OR/AND, BOOL_OR/AND (one engine each)":                              regexp.MustCompile(`(?i)\b(LOGICAL|BOOL)_(OR|AND)\s*\(`),
	"DuckDB spellings (regexp_matches, epoch_us, ...)":                           regexp.MustCompile(`(?i)\b(regexp_matches|epoch_us|epoch_ms|make_timestamp|list_contains|arg_min|arg_max)\s*\(`),
	"hash functions (ids come from the facts)":                                   regexp.MustCompile(`(?i)\b(FARM_FINGERPRINT|MD5|SHA1|SHA256|SHA512|HASH)\s*\(`),
}

// sqlFile is a query file split into its header comment and its SQL, with
// comments removed.
type sqlFile struct {
	name, header, body string
}

func splitSQL(name, text string) sqlFile {
	var header, body []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "--") && len(body) == 0 {
			header = append(header, line)
		} else {
			body = append(body, regexp.MustCompile(`--.*`).ReplaceAllString(line, ""))
		}
	}
	// IS [NOT] DISTINCT FROM is a comparison, not a read of a table.
	text = regexp.MustCompile(`(?i)\bDISTINCT\s+FROM\b`).ReplaceAllString(strings.Join(body, "\n"), "DISTINCT_FROM")
	return sqlFile{name: name, header: strings.Join(header, "\n"), body: text}
}

// check reports the header's missing parts, non-portable SQL, and reads of
// a table that requires a partition filter without one: within the SELECT
// that reads it, a BETWEEN on its partition column with a parameter named
// by filterParam.
func (f sqlFile) check(t *testing.T, filterParam string) {
	t.Helper()
	if !strings.Contains(f.header, "Parameters:") || !strings.Contains(f.header, "Grain:") {
		t.Errorf("%s: the header comment must say what the query answers, its Parameters: and its Grain:", f.name)
	}
	for what, re := range notPortable {
		if re.MatchString(f.body) {
			t.Errorf("%s: %s", f.name, what)
		}
	}
	filter := map[string]string{}
	for _, tb := range schemas.Tables() {
		if tb.RequirePartitionFilter {
			filter[tb.Name] = tb.TimePartitioning.Field
		}
	}
	for _, m := range fromTable.FindAllStringSubmatchIndex(f.body, -1) {
		table := f.body[m[2]:m[3]]
		col, ok := filter[table]
		if !ok {
			continue
		}
		rest := f.body[m[1]:]
		if end := strings.Index(rest, "\n)"); end >= 0 {
			rest = rest[:end]
		}
		if !regexp.MustCompile(`\b` + col + `\s+BETWEEN\s+@` + filterParam + `\b`).MatchString(rest) {
			t.Errorf("%s: %s is read without the filter %s BETWEEN @%s ...", f.name, table, col, filterParam)
		}
	}
}

// fromTable finds the tables a query reads.
var fromTable = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([a-z_]+)\b`)

// reserved are GoogleSQL's reserved keywords, which BigQuery refuses as
// unquoted names (DuckDB accepts some of them, e.g. NEW).
var reserved = strings.Fields(`ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE CAST
	COLLATE CONTAINS CREATE CROSS CUBE CURRENT DEFAULT DEFINE DESC DISTINCT ELSE END ENUM ESCAPE
	EXCEPT EXCLUDE EXISTS EXTRACT FALSE FETCH FOLLOWING FOR FROM FULL GROUP GROUPING GROUPS HASH
	HAVING IF IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT LOOKUP MERGE
	NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION PRECEDING PROTO QUALIFY RANGE
	RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME STRUCT TABLESAMPLE THEN TO TREAT TRUE
	UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN`)

// TestQueriesArePortable checks what the engines cannot: each query has its
// header (what it answers, parameters, grain), reads the fact tables only
// through their partition filter, and avoids syntax only one of BigQuery
// and DuckDB accepts.
func TestQueriesArePortable(t *testing.T) {
	names, err := warehousesql.Queries(sqlDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		path := warehousesql.QueryPath(sqlDir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if warehousesql.Summary(path) == "" {
			t.Errorf("%s: no header comment", name)
		}
		splitSQL(name, string(b)).check(t, "start_date")
	}
}

// TestModelsArePortable checks the dimension models (sql/models) as the
// queries, and more: every table a model reads is a warehouse table, a
// model, a table the step loads (sql/models/step.json), or one of its own
// WITH clauses; every ORDER BY term on a column that no table declares
// REQUIRED says NULLS FIRST or NULLS LAST (the engines' defaults differ);
// and no name a model gives (WITH clause, alias) is a GoogleSQL reserved
// keyword. A column's name does not say which table it comes from, so a
// column REQUIRED in one table and NULLABLE in another (user_key) is not
// checked.
func TestModelsArePortable(t *testing.T) {
	known := map[string]bool{}
	for _, in := range models.Inputs() {
		known[in.Name] = true
	}
	nullable := map[string]bool{}
	required := map[string]bool{}
	for _, tb := range schemas.Tables() {
		known[tb.Name] = true
		for _, c := range tb.Schema {
			if c.Mode == "REQUIRED" {
				required[c.Name] = true
			} else {
				nullable[c.Name] = true
			}
		}
	}
	for c := range required {
		delete(nullable, c)
	}
	for _, m := range models.Names() {
		known[m] = true
	}
	with := regexp.MustCompile(`(?i)\b([a-z_]+)\s+AS\s*\(`)
	alias := regexp.MustCompile(`(?i)\b([a-z_]+)\s+AS\s*\(|\bAS\s+([a-z_]+)\b`)
	orderBy := regexp.MustCompile(`(?is)\bORDER\s+BY\s+(.*?)(?:\)|\bROWS\b|\bLIMIT\b|$)`)
	for _, name := range models.Names() {
		f := splitSQL(name, models.Text(name))
		f.check(t, "[a-z_]+")
		local := map[string]bool{}
		for _, m := range with.FindAllStringSubmatch(f.body, -1) {
			local[m[1]] = true
		}
		for _, m := range alias.FindAllStringSubmatch(f.body, -1) {
			if n := m[1] + m[2]; slices.Contains(reserved, strings.ToUpper(n)) {
				t.Errorf("%s: %s is a reserved keyword in GoogleSQL", name, n)
			}
		}
		for _, m := range fromTable.FindAllStringSubmatch(f.body, -1) {
			if !known[m[1]] && !local[m[1]] {
				t.Errorf("%s reads %s, which is no table, model or WITH clause", name, m[1])
			}
		}
		for _, m := range orderBy.FindAllStringSubmatch(f.body, -1) {
			for _, term := range strings.Split(m[1], ",") {
				fields := strings.Fields(term)
				if len(fields) == 0 {
					continue
				}
				_, col, _ := strings.Cut(fields[0], ".")
				if col == "" {
					col = fields[0]
				}
				if nullable[col] && !regexp.MustCompile(`(?i)\bNULLS\s+(FIRST|LAST)\b`).MatchString(term) {
					t.Errorf("%s: ORDER BY %s: no table declares %s REQUIRED; say NULLS FIRST or NULLS LAST", name, strings.TrimSpace(term), col)
				}
			}
		}
	}
}
