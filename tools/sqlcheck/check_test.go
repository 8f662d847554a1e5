package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkTestdata builds a checker on testdata/tables and checks
// testdata/sql, which registers its views for the rejected files.
func checkTestdata(t *testing.T) (*checker, []result) {
	t.Helper()
	c, err := newChecker("testdata/tables")
	if err != nil {
		t.Fatalf("newChecker: %v", err)
	}
	results, err := c.checkTree("testdata/sql", "testdata/sql/views")
	if err != nil {
		t.Fatalf("checkTree: %v", err)
	}
	return c, results
}

func TestAcceptsBigQuerySQL(t *testing.T) {
	c, results := checkTestdata(t)
	got := map[string]int{}
	for _, r := range results {
		if r.err != nil {
			t.Errorf("%s rejected: %v", r.path, r.err)
		}
		got[r.path] = r.statements
	}
	want := map[string]int{
		"testdata/sql/bigquery_syntax.sql":           4,
		"testdata/sql/nested.sql":                    1,
		"testdata/sql/views_and_scripts.sql":         4,
		"testdata/sql/views/sessions_latest.sql":     1,
		"testdata/sql/views/sessions_by_country.sql": 1,
		"testdata/sql/models/daily_sessions.sql":     1,
		"testdata/sql/models/busy_days.sql":          1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statements per file = %v, want %v", got, want)
	}
	if c.tables != 1 || c.views != 2 || c.inputs != 1 || c.models != 2 {
		t.Errorf("catalog has %d tables, %d views, %d step inputs and %d model results, want 1, 2, 1 and 2", c.tables, c.views, c.inputs, c.models)
	}
}

func TestRejectsPlantedErrors(t *testing.T) {
	c, _ := checkTestdata(t)
	cases := map[string]string{
		"wrong_column.sql":       "Unrecognized name: sesion_id; Did you mean session_id?",
		"star_exclude.sql":       "Syntax error: Expected \";\" or end of input but got keyword EXCLUDE",
		"double_colon_cast.sql":  "Syntax error: Expected \";\" or end of input but got \":\"",
		"ilike.sql":              "Syntax error: Expected \";\" or end of input but got identifier \"ILIKE\"",
		"braced_struct.sql":      "Braced constructors are not supported",
		"map_type.sql":           "Function not found: MAP_FROM_ARRAY",
		"nanosecond.sql":         "TIMESTAMP_TRUNC does not support the NANOSECOND date part",
		"lag_ignore_nulls.sql":   "IGNORE NULLS and RESPECT NULLS are not allowed for analytic function LAG",
		"count_if.sql":           "Function not found: count_if",
		"datediff.sql":           "Function not found: datediff",
		"undeclared_param.sql":   "Query parameter 'day' not found",
		"declared_elsewhere.sql": "Query parameter 'day' not found",
		"param_type.sql":         "No matching signature for operator =",
		"ungrouped.sql":          "SELECT list expression references column device_id which is neither grouped nor aggregated",
		"record_field.sql":       "Field name region does not exist",
		"view_column.sql":        "Unrecognized name: copy_rank",
		"second_statement.sql":   "No matching signature for operator >",
	}
	files, err := filepath.Glob("testdata/rejected/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d planted files, %d cases: every file needs its expected error", len(files), len(cases))
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			r := c.checkFile(filepath.Join("testdata/rejected", file))
			if r.err == nil {
				t.Fatalf("accepted (%d statements), want an error containing %q", r.statements, want)
			}
			if !strings.Contains(r.err.Error(), want) {
				t.Errorf("error = %v\nwant it to contain %q", r.err, want)
			}
		})
	}
}

func TestRejectsUnknownTemplateVariable(t *testing.T) {
	dir := t.TempDir()
	views := filepath.Join(dir, "views")
	if err := os.Mkdir(views, 0o755); err != nil {
		t.Fatal(err)
	}
	view := "SELECT session_id FROM `${project_id}.${dataset}.sessions`\n"
	if err := os.WriteFile(filepath.Join(views, "v.sql"), []byte(view), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := newChecker("testdata/tables")
	if err != nil {
		t.Fatal(err)
	}
	results, err := c.checkTree(dir, views)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].err == nil || !strings.Contains(results[0].err.Error(), "${project_id}") {
		t.Errorf("results = %+v, want one error naming ${project_id}", results)
	}
}

// Models are analyzed in the declared order, each reading the inputs and
// the models before it: a model that reads a later one, a model the order
// leaves out and an ordered model without a file are rejected, and no
// other file reads a model's result.
func TestModelsInDeclaredOrder(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	if err := os.Mkdir(models, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"models/step.json": `{"inputs": [{"name": "days", "schema": [{"name": "day", "type": "DATE"}]}],
			"order": ["later_first", "first", "missing"]}`,
		"models/first.sql":       "SELECT day FROM days\n",
		"models/later_first.sql": "SELECT day FROM first\n",
		"models/unordered.sql":   "SELECT day FROM days\n",
		"analysis.sql":           "SELECT day FROM first\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := newChecker("testdata/tables")
	if err != nil {
		t.Fatal(err)
	}
	results, err := c.checkTree(dir, filepath.Join(dir, "views"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"analysis.sql":           "Table not found: first",
		"models/first.sql":       "",
		"models/later_first.sql": "Table not found: first",
		"models/missing.sql":     "orders model missing, which has no file",
		"models/unordered.sql":   "not in the order of step.json",
	}
	got := map[string]string{}
	for _, r := range results {
		rel, _ := filepath.Rel(dir, r.path)
		got[rel] = ""
		if r.err != nil {
			got[rel] = r.err.Error()
		}
	}
	if len(got) != len(want) {
		t.Errorf("results for %v, want %v", got, want)
	}
	for file, w := range want {
		if g, ok := got[file]; !ok || (w == "") != (g == "") || !strings.Contains(g, w) {
			t.Errorf("%s: error %q, want one containing %q", file, g, w)
		}
	}
}

func TestDeclaredParams(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		want      map[string]string
		wantErr   string
	}{{
		name: "two groups over several lines",
		sql: `-- What it answers.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range
-- of the converting sessions; @lookback_days (INT64): how many days before
-- a conversion's day (reads session_date from @start_date - @lookback_days).
-- Grain: one row per (model, traffic_class); not (@other (STRING)).
SELECT 1`,
		want: map[string]string{"start_date": "DATE", "end_date": "DATE", "lookback_days": "INT64"},
	}, {
		name: "composite types",
		sql: `-- Parameters: @days (ARRAY<DATE>): days; @limits (STRUCT<lo INT64, hi INT64>, optional).
SELECT 1`,
		want: map[string]string{"days": "ARRAY<DATE>", "limits": "STRUCT<lo INT64, hi INT64>"},
	}, {
		name: "none",
		sql:  "-- Parameters: none (a view); filter event_date when querying it.\nSELECT 1",
		want: map[string]string{},
	}, {
		name: "only the header counts",
		sql:  "-- A query.\nSELECT 1\n-- Parameters: @day (DATE)\n",
		want: nil,
	}, {
		name:    "two types for one name",
		sql:     "-- Parameters: @day (DATE): a day; @day (STRING): the same.\nSELECT 1",
		wantErr: "@day declared as DATE and as STRING",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := declaredParams(tc.sql)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRejectsUnsupportedColumnType(t *testing.T) {
	dir := t.TempDir()
	def := `{"name": "t", "schema": [{"name": "r", "type": "RANGE", "mode": "NULLABLE"}]}`
	if err := os.WriteFile(filepath.Join(dir, "t.json"), []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newChecker(dir); err == nil || !strings.Contains(err.Error(), `unsupported type "RANGE"`) {
		t.Errorf("newChecker: err = %v, want the unsupported type named", err)
	}
}
