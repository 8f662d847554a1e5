package main

import (
	"fmt"
	"regexp"
	"strings"
)

// paramGroup matches "@a, @b (TYPE" in a header's Parameters paragraph:
// one or more names, then their type in parentheses.
var paramGroup = regexp.MustCompile(`((?:@\w+\s*,\s*)*@\w+)\s*\(([^)]*)\)`)

var paramName = regexp.MustCompile(`@(\w+)`)

// declaredParams reads a SQL file's query parameters and their BigQuery
// types from its header, the comment lines the file starts with, as the
// sql/ files write it:
//
//	-- Parameters: @start_date, @end_date (DATE, inclusive): session_date
//	-- range; @lookback_days (INT64): how many days ...
//	-- Grain: ...
//
// The paragraph runs from "Parameters:" to "Grain:" or the end of the
// header. Each group of names is followed by its type in parentheses; the
// type ends at the first comma outside angle brackets, so ARRAY<DATE> and
// STRUCT<a INT64, b STRING> are types too. "Parameters: none" declares
// none. The result maps each name (without @) to its type's text.
func declaredParams(sql string) (map[string]string, error) {
	header := headerText(sql)
	start := strings.Index(header, "Parameters:")
	if start < 0 {
		return nil, nil
	}
	para := header[start+len("Parameters:"):]
	if end := strings.Index(para, "Grain:"); end >= 0 {
		para = para[:end]
	}
	params := map[string]string{}
	for _, m := range paramGroup.FindAllStringSubmatch(para, -1) {
		typ := firstTopLevelItem(m[2])
		if typ == "" {
			return nil, fmt.Errorf("header: no type for %s", m[1])
		}
		for _, n := range paramName.FindAllStringSubmatch(m[1], -1) {
			if prev, ok := params[n[1]]; ok && !strings.EqualFold(prev, typ) {
				return nil, fmt.Errorf("header: @%s declared as %s and as %s", n[1], prev, typ)
			}
			params[n[1]] = typ
		}
	}
	return params, nil
}

// headerText is the text of the -- comment lines a file starts with,
// joined by spaces.
func headerText(sql string) string {
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			break
		}
		b.WriteString(strings.TrimPrefix(line, "--"))
		b.WriteByte(' ')
	}
	return b.String()
}

// firstTopLevelItem is s up to its first comma outside <...>, trimmed.
func firstTopLevelItem(s string) string {
	depth := 0
	for i, c := range s {
		switch c {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				return strings.TrimSpace(s[:i])
			}
		}
	}
	return strings.TrimSpace(s)
}
