package bqwarehouse

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"

	"github.com/example/clickstream/sql/models"
)

// queryParameters are the parameters of params that query uses (@name
// outside string literals, quoted names and comments), typed as
// models.Params says: a step hands every model the same set, and a job
// carries only what its SQL names. A []string is an ARRAY<STRING> (e.g. for
// `col IN UNNEST(@list)`): one parameter however long the list.
func queryParameters(query string, params models.Params) ([]bigquery.QueryParameter, error) {
	var out []bigquery.QueryParameter
	seen := map[string]bool{}
	for _, name := range parameterNames(query) {
		if seen[name] {
			continue
		}
		seen[name] = true
		v, ok := params[name]
		if !ok {
			return nil, fmt.Errorf("query uses @%s, which has no value", name)
		}
		switch x := v.(type) {
		case models.Date:
			v = civil.DateOf(x.Time)
		case int:
			v = int64(x)
		case []string:
			v = slices.Clone(x)
		case int64, float64, string, bool, time.Time, bigquery.NullDate, bigquery.NullInt64, bigquery.NullBool, bigquery.NullString:
		default:
			return nil, fmt.Errorf("@%s: unsupported parameter type %T", name, v)
		}
		out = append(out, bigquery.QueryParameter{Name: name, Value: v})
	}
	return out, nil
}

// parameterNames lists the @names of query, in order of use.
func parameterNames(query string) []string {
	var names []string
	for i := 0; i < len(query); i++ {
		switch c := query[i]; {
		case c == '\'' || c == '"' || c == '`':
			i = closing(query, i)
		case c == '#' || strings.HasPrefix(query[i:], "--"):
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(query)
			}
		case strings.HasPrefix(query[i:], "/*"):
			if j := strings.Index(query[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(query)
			}
		case c == '@':
			j := i + 1
			for j < len(query) && query[j] == '@' {
				j++ // @@name is a system variable
			}
			k := j
			for k < len(query) && isNameByte(query[k], k == j) {
				k++
			}
			if j == i+1 && k > j {
				names = append(names, query[j:k])
			}
			i = k - 1
		}
	}
	return names
}

// closing is the index of the quote that closes the one at i (or the end):
// a backslash escapes the next character; triple quotes need three.
func closing(s string, i int) int {
	q := s[i : i+1]
	if q != "`" && strings.HasPrefix(s[i:], q+q+q) {
		if j := strings.Index(s[i+3:], q+q+q); j >= 0 {
			return i + 3 + j + 2
		}
		return len(s)
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q[0]:
			return j
		}
	}
	return len(s)
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}
