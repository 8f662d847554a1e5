package bqwarehouse

import (
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"

	"github.com/example/clickstream/sql/models"
)

func TestParameterNames(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"SELECT @a + @b, @a", []string{"a", "b", "a"}},
		{"SELECT 'x@y', \"@z\", `@q`, '''@t''', 'it\\'s @u' -- @c\n# @d\n/* @e */ @f", []string{"f"}},
		{"SELECT @@project_id, @g1", []string{"g1"}},
		{"SELECT a@b", []string{"b"}},
	} {
		if got := parameterNames(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("parameterNames(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestQueryParameters(t *testing.T) {
	day, _ := models.ParseDate("2026-11-01")
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	params := models.Params{"day": day, "n": 3, "big": int64(1) << 40, "s": "x", "b": true, "at": at, "unused": 1.5}
	got, err := queryParameters("SELECT @day, @n, @big, @s, @b, @at, @day", params)
	if err != nil {
		t.Fatal(err)
	}
	want := []bigquery.QueryParameter{{Name: "day", Value: civil.Date{Year: 2026, Month: 11, Day: 1}}, {Name: "n", Value: int64(3)},
		{Name: "big", Value: int64(1) << 40}, {Name: "s", Value: "x"}, {Name: "b", Value: true}, {Name: "at", Value: at}}
	if !slices.Equal(got, want) {
		t.Errorf("parameters %v, want %v (only those the query uses, once each)", got, want)
	}
	if _, err := queryParameters("SELECT @missing", params); err == nil || !strings.Contains(err.Error(), "@missing") {
		t.Errorf("a parameter without value: %v", err)
	}
	if _, err := queryParameters("SELECT @l", models.Params{"l": []int{1}}); err == nil {
		t.Error("a []int parameter was accepted")
	}
}

func TestQueryParametersArray(t *testing.T) {
	list := []string{"a", "b"}
	got, err := queryParameters("SELECT 1 WHERE x IN UNNEST(@ids)", models.Params{"ids": list})
	if err != nil {
		t.Fatal(err)
	}
	list[0] = "changed"
	if len(got) != 1 || got[0].Name != "ids" || !slices.Equal(got[0].Value.([]string), []string{"a", "b"}) {
		t.Errorf("parameters %v, want ids = [a b] (a copy)", got)
	}
}
