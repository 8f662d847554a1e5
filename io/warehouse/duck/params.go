package duck

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/example/clickstream/sql/models"
)

// sqlType is the DuckDB type a parameter value is cast to.
func sqlType(v any) (string, error) {
	switch v.(type) {
	case models.Date:
		return "DATE", nil
	case int, int64:
		// DuckDB's date arithmetic is DATE +/- INTEGER (there is no
		// DATE - BIGINT), so values that fit 32 bits are INTEGERs.
		if n := reflect.ValueOf(v).Int(); n >= math.MinInt32 && n <= math.MaxInt32 {
			return "INTEGER", nil
		}
		return "BIGINT", nil
	case float64:
		return "DOUBLE", nil
	case string:
		return "VARCHAR", nil
	case bool:
		return "BOOLEAN", nil
	}
	return "", fmt.Errorf("unsupported parameter type %T", v)
}

// bindValue is what is handed to the driver for a parameter value: DATEs
// travel as their YYYY-MM-DD text and are cast in SQL (see Translate), so
// neither the driver's time zone nor its time.Time conversion is involved.
func bindValue(v any) any {
	switch v := v.(type) {
	case models.Date:
		return v.String()
	case int:
		return int64(v)
	}
	return v
}

// Translate rewrites a BigQuery query's named parameters for DuckDB: each
// @name becomes CAST($name AS <type>), where the type comes from the value
// in params (see Params; an INT64 that fits 32 bits is an INTEGER, the type
// DuckDB's DATE +/- n takes), so DuckDB knows every parameter's type even where
// it cannot infer one (as in @end_date + 1). It returns the rewritten query
// and the names it uses, in order of first use.
//
// String literals ('...', "..." in BigQuery is also a string), quoted
// identifiers (`...`), -- and # line comments and /* */ comments are copied
// unchanged, so an @ inside them is not a parameter. @@ (BigQuery system
// variables) is not supported and is an error, as is a parameter without a
// value.
//
// It also rewrites a table UNNEST, UNNEST(array) AS alias after FROM, JOIN or
// a comma, to (SELECT UNNEST(array, recursive := true)) AS alias: in DuckDB
// a plain table UNNEST of an array of STRUCTs yields one STRUCT column, so
// alias.field would not resolve as it does in BigQuery; unnested
// recursively, each field is a column of alias.
func Translate(query string, params models.Params) (string, []string, error) {
	var b strings.Builder
	var names []string
	seen := map[string]bool{}
	depth := 0        // open parentheses
	var unnests []int // the depths at which a rewritten UNNEST's argument closes
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case isIdent(c, true) && (i == 0 || !isIdent(query[i-1], false) && query[i-1] != '.'):
			j := i
			for j < len(query) && isIdent(query[j], j == i) {
				j++
			}
			open := j
			for open < len(query) && (query[open] == ' ' || query[open] == '\t' || query[open] == '\n') {
				open++
			}
			if !strings.EqualFold(query[i:j], "unnest") || open == len(query) || query[open] != '(' || !fromItem(b.String()) {
				b.WriteString(query[i:j])
				i = j
				continue
			}
			b.WriteString("(SELECT UNNEST(")
			depth++
			unnests = append(unnests, depth)
			i = open + 1
		case c == '(':
			depth++
			b.WriteByte(c)
			i++
		case c == ')':
			if n := len(unnests); n > 0 && unnests[n-1] == depth {
				b.WriteString(", recursive := true))")
				unnests = unnests[:n-1]
			} else {
				b.WriteByte(c)
			}
			depth--
			i++
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(query, i)
			b.WriteString(query[i:j])
			i = j
		case c == '-' && strings.HasPrefix(query[i:], "--"), c == '#':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				return "", nil, fmt.Errorf("unterminated /* comment")
			}
			b.WriteString(query[i : i+2+j+2])
			i += 2 + j + 2
		case c == '@':
			if strings.HasPrefix(query[i:], "@@") {
				return "", nil, fmt.Errorf("system variables (@@) are not supported")
			}
			j := i + 1
			for j < len(query) && isIdent(query[j], j == i+1) {
				j++
			}
			name := query[i+1 : j]
			if name == "" {
				return "", nil, fmt.Errorf("@ without a parameter name at byte %d", i)
			}
			v, ok := params[name]
			if !ok {
				return "", nil, fmt.Errorf("query uses @%s, which has no value", name)
			}
			typ, err := sqlType(v)
			if err != nil {
				return "", nil, fmt.Errorf("@%s: %w", name, err)
			}
			fmt.Fprintf(&b, "CAST($%s AS %s)", name, typ)
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), names, nil
}

// fromItem reports whether the query written so far ends where a FROM item
// starts: after FROM, JOIN or a comma.
func fromItem(before string) bool {
	before = strings.TrimRight(before, " \t\n")
	if strings.HasSuffix(before, ",") {
		return true
	}
	i := len(before)
	for i > 0 && isIdent(before[i-1], false) {
		i--
	}
	word := before[i:]
	return strings.EqualFold(word, "from") || strings.EqualFold(word, "join")
}

// skipQuoted returns the index just past the quoted text starting at i,
// honouring backslash escapes and BigQuery's triple quotes.
func skipQuoted(s string, i int) int {
	q := s[i]
	if q != '`' && strings.HasPrefix(s[i:], strings.Repeat(string(q), 3)) {
		end := strings.Index(s[i+3:], strings.Repeat(string(q), 3))
		if end < 0 {
			return len(s)
		}
		return i + 3 + end + 3
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return len(s)
}

func isIdent(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}
