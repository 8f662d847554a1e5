package bqfake

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	bqv2 "google.golang.org/api/bigquery/v2"
)

func TestTranslate(t *testing.T) {
	s := &Server{project: "p", datasets: map[string]*dataset{"ds": {tables: map[string]*table{}}}}
	param := func(name, typ, value string) *bqv2.QueryParameter {
		return &bqv2.QueryParameter{Name: name, ParameterType: &bqv2.QueryParameterType{Type: typ}, ParameterValue: &bqv2.QueryParameterValue{Value: value}}
	}
	tr := &translator{s: s, dataset: "ds", params: map[string]*bqv2.QueryParameter{
		"day": param("day", "DATE", "2026-11-01"), "small": param("small", "INT64", "7"), "big": param("big", "INT64", "9999999999"),
		"at": param("at", "TIMESTAMP", "2026-11-01 10:00:00+00:00"),
		"ids": {Name: "ids", ParameterType: &bqv2.QueryParameterType{Type: "ARRAY", ArrayType: &bqv2.QueryParameterType{Type: "STRING"}},
			ParameterValue: &bqv2.QueryParameterValue{ArrayValues: []*bqv2.QueryParameterValue{{Value: "a"}, {Value: "o'b"}}}},
	}}
	for _, tt := range []struct {
		name, in string
		want     []string // kind: sql [args]
		err      string
	}{
		{name: "parameters", in: "SELECT @day + @small, @big, @day",
			want: []string{"SELECT: SELECT CAST($day AS DATE) + CAST($small AS INTEGER), CAST($big AS BIGINT), CAST($day AS DATE) [{{} day 2026-11-01} {{} small 7} {{} big 9999999999}]"}},
		{name: "timestamps", in: "SELECT CAST(@at AS TIMESTAMP), TIMESTAMP '2026-11-01 00:00:00', UNIX_MICROS(x)",
			want: []string{"SELECT: SELECT CAST(CAST($at AS TIMESTAMPTZ) AS TIMESTAMPTZ), TIMESTAMPTZ '2026-11-01 00:00:00', UNIX_MICROS(x) [{{} at 2026-11-01 10:00:00+00:00}]"}},
		{name: "strings and comments", in: "SELECT \"a'b\", 'c\\'d', r'\\d', '''x\"y''', '@day' -- @small\n# @big\n/* @at */",
			want: []string{`SELECT: SELECT 'a''b', 'c''d', '\d', 'x"y', '@day' []`}},
		{name: "array parameters", in: "SELECT x FROM t WHERE x IN UNNEST(@ids) AND (y IN (1))",
			want: []string{"SELECT: SELECT x FROM t WHERE x IN (SELECT UNNEST(CAST(['a', 'o''b'] AS VARCHAR[]))) AND (y IN (1)) []"}},
		{name: "quoted paths", in: "SELECT * FROM `p.ds.t` JOIN `ds`.u ON TRUE",
			want: []string{`SELECT: SELECT * FROM "ds"."t" JOIN "ds"."u" ON TRUE []`}},
		{name: "a script", in: "BEGIN TRANSACTION; DELETE t WHERE TRUE; INSERT t (a) VALUES (1); UPDATE ds.t SET a = 2 WHERE TRUE;\nCOMMIT TRANSACTION;",
			want: []string{"BEGIN_TRANSACTION: BEGIN TRANSACTION []", "DELETE: DELETE FROM t WHERE TRUE [] t", "INSERT: INSERT INTO t (a) VALUES (1) [] t",
				"UPDATE: UPDATE ds.t SET a = 2 WHERE TRUE [] ds.t", "COMMIT_TRANSACTION: COMMIT []"}},
		{name: "session statements", in: "CREATE TEMP TABLE x AS SELECT 1; CALL BQ.ABORT_SESSION()",
			want: []string{"CREATE_TEMP_TABLE: CREATE TEMP TABLE x AS SELECT 1 []", "ABORT_SESSION:  []"}},
		{name: "partitions", in: "SELECT partition_id FROM `p.ds.INFORMATION_SCHEMA.PARTITIONS`",
			want: []string{"SELECT: SELECT partition_id FROM (SELECT CAST(NULL AS VARCHAR) AS table_catalog, CAST(NULL AS VARCHAR) AS table_schema, " +
				"CAST(NULL AS VARCHAR) AS table_name, CAST(NULL AS VARCHAR) AS partition_id, CAST(NULL AS BIGINT) AS total_rows WHERE false) []"}},
		{name: "another project", in: "SELECT * FROM `q.ds.t`", err: "project q is not implemented"},
		{name: "system variables", in: "SELECT @@project_id", err: "system variables"},
		{name: "unknown statement", in: "DROP TABLE t", err: "statement DROP TABLE is not implemented"},
		{name: "an open string", in: "SELECT 'abc", err: "unclosed string"},
		{name: "nothing", in: " -- only a comment\n;", err: "empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stmts, err := tr.translate(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range stmts {
				args := make([]string, len(st.args))
				for i, a := range st.args {
					args[i] = fmt.Sprint(a.(sql.NamedArg))
				}
				line := fmt.Sprintf("%s: %s [%s]", st.kind, strings.TrimSpace(st.sql), strings.Join(args, " "))
				if st.target != "" {
					line += " " + st.target
				}
				got = append(got, line)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("translate(%q)\n got  %q\n want %q", tt.in, got, tt.want)
			}
		})
	}
}
