package bqfake

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	bqv2 "google.golang.org/api/bigquery/v2"
)

// The server runs GoogleSQL on DuckDB. What the two engines share runs as
// written (the project's SQL keeps to that subset: see io/warehouse/duck's
// package documentation); this file is the rest, the fake's one
// translation layer:
//
//   - GoogleSQL functions DuckDB lacks are DuckDB macros under their
//     GoogleSQL names (REGEXP_CONTAINS and UNIX_MICROS, as io/warehouse/duck
//     defines them; TO_JSON_STRING, a row's JSON with its values but not
//     BigQuery's exact text), and FLOAT64 is a DuckDB type (INT64, STRING and BOOL
//     are already); ERROR is DuckDB's error;
//   - the type TIMESTAMP is DuckDB's TIMESTAMPTZ (a DuckDB TIMESTAMP has no
//     time zone), in casts, literals and column definitions;
//   - string literals ('...', "...", r'...', triple-quoted) become DuckDB
//     strings of the same value, backslash escapes decoded;
//   - -- and # comments and /* */ comments are dropped;
//   - a `quoted` path is split at its dots; its project, when it names the
//     server's, is dropped (a dataset is a DuckDB schema);
//   - <dataset>.INFORMATION_SCHEMA.PARTITIONS is the dataset's partitions
//     (table_catalog, table_schema, table_name, partition_id, total_rows),
//     counted from the rows: only partitions that hold rows;
//   - @name parameters become CAST($name AS <type>) of their declared type
//     (an INT64 that fits 32 bits as an INTEGER: DuckDB's date arithmetic
//     is DATE +/- INTEGER), bound as their text; an ARRAY<STRING>
//     parameter becomes a list literal, and x IN UNNEST(list) a subquery
//     of it.
//
// Running on DuckDB proves what a job does (which statements run, in which
// session and transaction, what they write), not that BigQuery accepts the
// SQL: GoogleSQL's own analyzer checks that (make sqlcheck).

// createDialect defines the macros and types in the database's main schema,
// which every job's search path ends with.
func createDialect(ctx context.Context, db *sql.DB) error {
	for _, s := range []string{
		"CREATE MACRO regexp_contains(value, pattern) AS regexp_matches(value, pattern)",
		"CREATE MACRO unix_micros(ts) AS epoch_us(ts)",
		"CREATE MACRO to_json_string(v) AS CAST(to_json(v) AS VARCHAR)",
		"CREATE TYPE FLOAT64 AS DOUBLE",
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("bqfake: %s: %w", s, err)
		}
	}
	return nil
}

// Statement kinds.
const (
	kindQuery        = "SELECT"
	kindInsert       = "INSERT"
	kindUpdate       = "UPDATE"
	kindDelete       = "DELETE"
	kindCreateTemp   = "CREATE_TEMP_TABLE"
	kindBegin        = "BEGIN_TRANSACTION"
	kindCommit       = "COMMIT_TRANSACTION"
	kindRollback     = "ROLLBACK_TRANSACTION"
	kindAbortSession = "ABORT_SESSION"
)

// statement is one statement of a query job, translated for DuckDB.
type statement struct {
	kind string
	sql  string
	args []any
	// target is the table a DML statement writes, as the SQL names it.
	target string
}

// token is a lexical token of GoogleSQL, as far as the translation needs.
type token struct {
	kind  int
	text  string // a word or punctuation as written; a string's value; a parameter's name
	quote bool   // a word that was `quoted`
}

const (
	tokWord = iota
	tokString
	tokParam
	tokSpace
	tokSemicolon
	tokPunct
)

// lex splits GoogleSQL text into tokens; comments become spaces.
func lex(q string) ([]token, error) {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			j := i
			for j < len(q) && strings.IndexByte(" \t\n\r", q[j]) >= 0 {
				j++
			}
			out = append(out, token{kind: tokSpace, text: q[i:j]})
			i = j
		case c == '#' || strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			out = append(out, token{kind: tokSpace, text: "\n"})
			i += j
		case strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unclosed comment")
			}
			out = append(out, token{kind: tokSpace, text: " "})
			i += 2 + j + 2
		case c == '\'' || c == '"':
			value, n, err := stringLiteral(q[i:], false)
			if err != nil {
				return nil, err
			}
			out = append(out, token{kind: tokString, text: value})
			i += n
		case c == '`':
			j := strings.IndexByte(q[i+1:], '`')
			if j < 0 {
				return nil, fmt.Errorf("unclosed quoted identifier")
			}
			out = append(out, token{kind: tokWord, text: q[i+1 : i+1+j], quote: true})
			i += j + 2
		case c == '@':
			if strings.HasPrefix(q[i:], "@@") {
				return nil, fmt.Errorf("bqfake: system variables (@@) are not implemented")
			}
			j := i + 1
			for j < len(q) && isWordByte(q[j], j == i+1) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("@ without a parameter name")
			}
			out = append(out, token{kind: tokParam, text: q[i+1 : j]})
			i = j
		case c == ';':
			out = append(out, token{kind: tokSemicolon, text: ";"})
			i++
		case isWordByte(c, true):
			j := i
			for j < len(q) && isWordByte(q[j], false) {
				j++
			}
			word := q[i:j]
			if raw := strings.EqualFold(word, "r"); raw && j < len(q) && (q[j] == '\'' || q[j] == '"') {
				value, n, err := stringLiteral(q[j:], true)
				if err != nil {
					return nil, err
				}
				out = append(out, token{kind: tokString, text: value})
				i = j + n
				continue
			}
			out = append(out, token{kind: tokWord, text: word})
			i = j
		default:
			out = append(out, token{kind: tokPunct, text: q[i : i+1]})
			i++
		}
	}
	return out, nil
}

func isWordByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

// stringLiteral reads the GoogleSQL string literal at the start of s and
// returns its value and length. A raw literal keeps its backslashes.
func stringLiteral(s string, raw bool) (string, int, error) {
	q := s[0]
	delim := s[:1]
	if strings.HasPrefix(s, strings.Repeat(delim, 3)) {
		delim = s[:3]
	}
	var b strings.Builder
	for i := len(delim); i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], delim):
			return b.String(), i + len(delim), nil
		case s[i] == '\\' && i+1 < len(s):
			i++
			if raw {
				b.WriteByte('\\')
				b.WriteByte(s[i])
				continue
			}
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"', '`', '?':
				b.WriteByte(e)
			default:
				return "", 0, fmt.Errorf("bqfake: escape \\%c is not implemented", e)
			}
		case len(delim) == 1 && s[i] == '\n':
			return "", 0, fmt.Errorf("unclosed string literal")
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unclosed string literal %c", q)
}

// translator turns a job's GoogleSQL into DuckDB statements.
type translator struct {
	s       *Server
	params  map[string]*bqv2.QueryParameter
	dataset string // the job's default dataset
}

// translate splits q into its statements and translates each.
func (tr *translator) translate(q string) ([]statement, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	var out []statement
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && toks[i].kind != tokSemicolon {
			continue
		}
		st, err := tr.statement(toks[start:i])
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", len(out)+1, err)
		}
		if st != nil {
			out = append(out, *st)
		}
		start = i + 1
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the query is empty")
	}
	return out, nil
}

// statement classifies and translates one statement; nil when it is empty.
func (tr *translator) statement(toks []token) (*statement, error) {
	var words []string // the leading words, upper case
	var first token
	for _, t := range toks {
		if t.kind == tokSpace {
			continue
		}
		if len(words) == 0 && first.text == "" {
			first = t
		}
		if t.kind != tokWord || t.quote {
			break
		}
		words = append(words, strings.ToUpper(t.text))
	}
	if first.text == "" {
		return nil, nil
	}
	word := func(i int) string {
		if i < len(words) {
			return words[i]
		}
		return ""
	}
	st := &statement{}
	switch {
	case first.kind == tokPunct && first.text == "(", word(0) == "SELECT", word(0) == "WITH":
		st.kind = kindQuery
	case word(0) == "INSERT":
		st.kind = kindInsert
		if word(1) != "INTO" { // GoogleSQL's INTO is optional, DuckDB's is not
			toks = insertWord(toks, 0, "INTO")
		}
	case word(0) == "DELETE":
		st.kind = kindDelete
		if word(1) != "FROM" {
			toks = insertWord(toks, 0, "FROM")
		}
	case word(0) == "UPDATE":
		st.kind = kindUpdate
	case word(0) == "CREATE" && (word(1) == "TEMP" || word(1) == "TEMPORARY") && word(2) == "TABLE",
		word(0) == "CREATE" && word(1) == "OR" && word(2) == "REPLACE" && (word(3) == "TEMP" || word(3) == "TEMPORARY") && word(4) == "TABLE":
		st.kind = kindCreateTemp
	case word(0) == "BEGIN" && word(1) == "TRANSACTION":
		return &statement{kind: kindBegin, sql: "BEGIN TRANSACTION"}, nil
	case word(0) == "COMMIT":
		return &statement{kind: kindCommit, sql: "COMMIT"}, nil
	case word(0) == "ROLLBACK":
		return &statement{kind: kindRollback, sql: "ROLLBACK"}, nil
	case word(0) == "CALL" && strings.EqualFold(callee(toks), "BQ.ABORT_SESSION"):
		return &statement{kind: kindAbortSession}, nil
	default:
		return nil, fmt.Errorf("bqfake: statement %s %s is not implemented (SELECT, INSERT, UPDATE, DELETE, CREATE TEMP TABLE, BEGIN/COMMIT/ROLLBACK TRANSACTION and CALL BQ.ABORT_SESSION() are)", word(0), word(1))
	}
	if err := tr.emit(st, toks); err != nil {
		return nil, err
	}
	return st, nil
}

// insertWord inserts a word after the n-th word of toks.
func insertWord(toks []token, n int, word string) []token {
	seen := 0
	for i, t := range toks {
		if t.kind != tokWord {
			continue
		}
		if seen == n {
			out := append([]token{}, toks[:i+1]...)
			out = append(out, token{kind: tokSpace, text: " "}, token{kind: tokWord, text: word})
			return append(out, toks[i+1:]...)
		}
		seen++
	}
	return toks
}

// callee is the procedure a CALL statement names.
func callee(toks []token) string {
	var b strings.Builder
	words := 0
	for _, t := range toks {
		switch {
		case t.kind == tokWord:
			words++
			if words > 1 {
				b.WriteString(t.text)
			}
		case t.kind == tokPunct && t.text == "." && words > 1:
			b.WriteString(".")
		case t.kind == tokPunct && t.text == "(":
			return b.String()
		}
	}
	return b.String()
}

// emit writes the statement's DuckDB text and arguments, and the table a
// DML statement writes.
func (tr *translator) emit(st *statement, toks []token) error {
	var b strings.Builder
	bound := map[string]bool{}
	depth := 0        // open parentheses
	var unnests []int // the depths at which a table UNNEST's argument closes
	var inLists []int // the depths at which an IN UNNEST's argument closes
	for i := 0; i < len(toks); {
		t := toks[i]
		switch {
		case t.kind == tokWord && strings.EqualFold(t.text, "unnest") && i+1 < len(toks) && toks[i+1].text == "(" && afterIn(b.String()):
			// x IN UNNEST(list): DuckDB's IN takes a subquery of the list.
			b.WriteString("(SELECT UNNEST(")
			depth++
			inLists = append(inLists, depth)
			i += 2
			continue
		case t.text == ")" && len(inLists) > 0 && inLists[len(inLists)-1] == depth:
			b.WriteString("))")
			inLists = inLists[:len(inLists)-1]
			depth--
			i++
			continue
		case t.kind == tokWord && strings.EqualFold(t.text, "unnest") && i+1 < len(toks) && toks[i+1].text == "(" && tableItem(b.String()):
			// A table UNNEST of a list of records: DuckDB's recursive UNNEST
			// gives the records' fields as columns, as BigQuery's does.
			b.WriteString("(SELECT UNNEST(")
			depth++
			unnests = append(unnests, depth)
			i += 2
			continue
		case t.text == "(":
			depth++
		case t.text == ")":
			if n := len(unnests); n > 0 && unnests[n-1] == depth {
				b.WriteString(", recursive := true))")
				unnests = unnests[:n-1]
				depth--
				i++
				continue
			}
			depth--
		}
		switch t.kind {
		case tokWord:
			path, n := pathAt(toks[i:])
			text, err := tr.path(path)
			if err != nil {
				return err
			}
			if st.target == "" && st.kind != kindQuery && st.kind != kindCreateTemp && !isKeyword(path) {
				st.target = strings.Join(pathNames(path), ".")
			}
			b.WriteString(text)
			i += n
			continue
		case tokString:
			b.WriteString(quoteString(t.text))
		case tokParam:
			p, ok := tr.params[t.text]
			if !ok {
				return failf("invalidQuery", "Query parameter '%s' not found", t.text)
			}
			if p.ParameterType != nil && p.ParameterType.Type == "ARRAY" {
				list, err := arrayLiteral(p)
				if err != nil {
					return err
				}
				b.WriteString(list)
				break
			}
			typ, err := paramType(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "CAST($%s AS %s)", t.text, typ)
			if !bound[t.text] {
				bound[t.text] = true
				var v any
				if p.ParameterValue != nil {
					v = p.ParameterValue.Value
				}
				st.args = append(st.args, sql.Named(t.text, v))
			}
		default:
			b.WriteString(t.text)
		}
		i++
	}
	st.sql = b.String()
	return nil
}

// afterIn reports whether SQL ending in before ends with the word IN.
func afterIn(before string) bool {
	fields := strings.Fields(before)
	return len(fields) > 0 && strings.EqualFold(fields[len(fields)-1], "in")
}

// tableItem reports whether SQL ending in before is followed by a FROM
// item: after FROM, JOIN or a comma.
func tableItem(before string) bool {
	before = strings.TrimRight(before, " \t\n")
	fields := strings.Fields(before)
	return strings.HasSuffix(before, ",") ||
		len(fields) > 0 && (strings.EqualFold(fields[len(fields)-1], "from") || strings.EqualFold(fields[len(fields)-1], "join"))
}

// pathAt reads a path of words joined by dots at the start of toks, and
// returns it and the number of tokens it takes.
func pathAt(toks []token) ([]token, int) {
	path := []token{toks[0]}
	n := 1
	for n+1 < len(toks) && toks[n].kind == tokPunct && toks[n].text == "." && toks[n+1].kind == tokWord {
		path = append(path, toks[n+1])
		n += 2
	}
	return path, n
}

// pathNames are a path's names, a quoted word split at its dots.
func pathNames(path []token) []string {
	var out []string
	for _, t := range path {
		if t.quote {
			out = append(out, strings.Split(t.text, ".")...)
		} else {
			out = append(out, t.text)
		}
	}
	return out
}

// isKeyword reports whether a one-word path is a keyword that may stand
// before a DML statement's table (INTO, FROM).
func isKeyword(path []token) bool {
	if len(path) != 1 || path[0].quote {
		return false
	}
	switch strings.ToUpper(path[0].text) {
	case "INSERT", "INTO", "DELETE", "FROM", "UPDATE":
		return true
	}
	return false
}

// path translates a path: a table name, a column, a function or a keyword.
func (tr *translator) path(path []token) (string, error) {
	names := pathNames(path)
	n := len(names)
	if n >= 2 && strings.EqualFold(names[n-2], "INFORMATION_SCHEMA") && strings.EqualFold(names[n-1], "PARTITIONS") {
		dataset := tr.dataset
		switch {
		case n == 4 && names[0] != tr.s.project:
			return "", fmt.Errorf("bqfake: project %s is not implemented (only %s)", names[0], tr.s.project)
		case n >= 3:
			dataset = names[n-3]
		}
		return tr.s.partitionsView(dataset)
	}
	quoted := false
	for _, t := range path {
		quoted = quoted || t.quote
	}
	if !quoted {
		if n == 1 && strings.EqualFold(names[0], "TIMESTAMP") {
			return "TIMESTAMPTZ", nil
		}
		return strings.Join(names, "."), nil
	}
	if n == 3 {
		if names[0] != tr.s.project {
			return "", fmt.Errorf("bqfake: project %s is not implemented (only %s)", names[0], tr.s.project)
		}
		names = names[1:]
	}
	quotedNames := make([]string, len(names))
	for i, name := range names {
		quotedNames[i] = quoteIdent(name)
	}
	return strings.Join(quotedNames, "."), nil
}

// paramType is the DuckDB type a parameter's value is cast to.
func paramType(p *bqv2.QueryParameter) (string, error) {
	if p.ParameterType == nil {
		return "", fmt.Errorf("parameter %s has no type", p.Name)
	}
	switch t := p.ParameterType.Type; t {
	case "INT64":
		if p.ParameterValue != nil {
			if n, err := strconv.ParseInt(p.ParameterValue.Value, 10, 64); err == nil && n >= math.MinInt32 && n <= math.MaxInt32 {
				return "INTEGER", nil
			}
		}
		return "BIGINT", nil
	case "STRING", "BOOL", "FLOAT64", "DATE", "TIMESTAMP", "DATETIME", "BYTES":
		return duckType(t)
	default:
		return "", fmt.Errorf("bqfake: parameters of type %s are not implemented", t)
	}
}

// arrayLiteral is an ARRAY<STRING> parameter written as a DuckDB list of
// string literals (a list is not bound as an argument).
func arrayLiteral(p *bqv2.QueryParameter) (string, error) {
	if p.ParameterType.ArrayType == nil || p.ParameterType.ArrayType.Type != "STRING" {
		return "", fmt.Errorf("bqfake: array parameter %s: only ARRAY<STRING> is implemented", p.Name)
	}
	var items []string
	if p.ParameterValue != nil {
		for _, v := range p.ParameterValue.ArrayValues {
			items = append(items, quoteString(v.Value))
		}
	}
	return "CAST([" + strings.Join(items, ", ") + "] AS VARCHAR[])", nil
}

// partitionsView is the SQL of a dataset's INFORMATION_SCHEMA.PARTITIONS.
// The caller holds s.mu.
func (s *Server) partitionsView(dataset string) (string, error) {
	ds, ok := s.datasets[dataset]
	if !ok {
		return "", failf("notFound", "Not found: Dataset %s:%s", s.project, dataset)
	}
	parts := []string{"SELECT CAST(NULL AS VARCHAR) AS table_catalog, CAST(NULL AS VARCHAR) AS table_schema, " +
		"CAST(NULL AS VARCHAR) AS table_name, CAST(NULL AS VARCHAR) AS partition_id, CAST(NULL AS BIGINT) AS total_rows WHERE false"}
	for _, name := range sortedKeys(ds.tables) {
		t := ds.tables[name]
		id := "CAST(NULL AS VARCHAR)"
		if t.meta.TimePartitioning != nil {
			id = partitionSQL(t)
		}
		parts = append(parts, fmt.Sprintf("SELECT %s, %s, %s, %s, COUNT(*) FROM %s GROUP BY 4",
			quoteString(s.project), quoteString(dataset), quoteString(name), id, tableName(dataset, name)))
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ")", nil
}
