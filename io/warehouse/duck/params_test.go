package duck

import (
	"reflect"
	"strings"
	"testing"

	"github.com/example/clickstream/sql/models"
)

func TestTranslate(t *testing.T) {
	day, _ := models.ParseDate("2026-11-01")
	params := models.Params{"start_date": day, "end_date": day, "lookback_days": int64(30), "big": int64(1) << 40, "term": "x", "rate": 0.5, "flag": true}
	for _, tc := range []struct {
		name, in, want string
		names          []string
		err            string
	}{
		{
			name:  "a table UNNEST after FROM, JOIN or a comma is unnested recursively",
			in:    "FROM s, unnest(s.items) AS i CROSS JOIN UNNEST (f(s.x, @term)) AS j JOIN UNNEST(s.y) AS k",
			want:  "FROM s, (SELECT UNNEST(s.items, recursive := true)) AS i CROSS JOIN (SELECT UNNEST(f(s.x, CAST($term AS VARCHAR)), recursive := true)) AS j JOIN (SELECT UNNEST(s.y, recursive := true)) AS k",
			names: []string{"term"},
		},
		{
			name: "other UNNESTs and words are left alone",
			in:   "WHERE x IN UNNEST(a) AND unnest_count(b) > 0 AND s.unnest = 'FROM UNNEST(c)'",
			want: "WHERE x IN UNNEST(a) AND unnest_count(b) > 0 AND s.unnest = 'FROM UNNEST(c)'",
		},
		{
			name:  "dates",
			in:    "WHERE event_date BETWEEN @start_date AND @end_date + 1",
			want:  "WHERE event_date BETWEEN CAST($start_date AS DATE) AND CAST($end_date AS DATE) + 1",
			names: []string{"start_date", "end_date"},
		},
		{
			name:  "repeated parameter is bound once",
			in:    "@start_date - @lookback_days, @start_date",
			want:  "CAST($start_date AS DATE) - CAST($lookback_days AS INTEGER), CAST($start_date AS DATE)",
			names: []string{"start_date", "lookback_days"},
		},
		{
			name:  "types",
			in:    "@big @term @rate @flag",
			want:  "CAST($big AS BIGINT) CAST($term AS VARCHAR) CAST($rate AS DOUBLE) CAST($flag AS BOOLEAN)",
			names: []string{"big", "term", "rate", "flag"},
		},
		{
			name:  "not in literals, quoted names or comments",
			in:    "SELECT 'a@b.c', \"@x\", `t@y`, 'it''s @z' -- @c\n/* @d */ # @e\n, @term",
			want:  "SELECT 'a@b.c', \"@x\", `t@y`, 'it''s @z' -- @c\n/* @d */ # @e\n, CAST($term AS VARCHAR)",
			names: []string{"term"},
		},
		{name: "escaped quote", in: `'\'@x' @term`, want: `'\'@x' CAST($term AS VARCHAR)`, names: []string{"term"}},
		{name: "triple quotes", in: `"""a " @x""" @term`, want: `"""a " @x""" CAST($term AS VARCHAR)`, names: []string{"term"}},
		{name: "no value", in: "@nope", err: "@nope, which has no value"},
		{name: "system variable", in: "@@dataset_id", err: "system variables"},
		{name: "bare @", in: "a @ b", err: "without a parameter name"},
		{name: "open comment", in: "/* @term", err: "unterminated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, names, err := Translate(tc.in, params)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || !reflect.DeepEqual(names, tc.names) {
				t.Errorf("Translate(%q)\n got %q %v\nwant %q %v", tc.in, got, names, tc.want, tc.names)
			}
		})
	}
}

func TestUnsupportedParameterType(t *testing.T) {
	if _, _, err := Translate("@x", models.Params{"x": []int{1}}); err == nil {
		t.Error("a []int parameter was accepted")
	}
}
