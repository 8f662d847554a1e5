package warehousesql

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Formats are the output formats of Write.
var Formats = []string{"table", "csv", "json"}

// Write prints r as an aligned text table, CSV (header row, NULL as an
// empty field) or JSON (an array of objects, keys in column order).
func Write(out io.Writer, r *Result, format string) error {
	switch format {
	case "table":
		return writeTable(out, r)
	case "csv":
		return writeCSV(out, r)
	case "json":
		return writeJSON(out, r)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

func writeTable(out io.Writer, r *Result) error {
	cells := make([][]string, len(r.Rows))
	width := make([]int, len(r.Columns))
	right := make([]bool, len(r.Columns))
	for i, c := range r.Columns {
		width[i] = utf8.RuneCountInString(c)
		right[i] = numeric(r.Types[i])
	}
	for i, row := range r.Rows {
		cells[i] = make([]string, len(row))
		for j, v := range row {
			s := "NULL"
			if v != nil {
				s = text(v, r.Types[j])
			}
			cells[i][j] = s
			width[j] = max(width[j], utf8.RuneCountInString(s))
		}
	}
	line := func(vals []string) {
		var b strings.Builder
		for j, s := range vals {
			if j > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(s))
			if right[j] {
				b.WriteString(pad + s)
			} else if j < len(vals)-1 {
				b.WriteString(s + pad)
			} else {
				b.WriteString(s)
			}
		}
		fmt.Fprintln(out, b.String())
	}
	line(r.Columns)
	rule := make([]string, len(r.Columns))
	for j := range rule {
		rule[j] = strings.Repeat("-", width[j])
	}
	line(rule)
	for _, row := range cells {
		line(row)
	}
	fmt.Fprintf(out, "(%d rows)\n", len(r.Rows))
	return nil
}

func writeCSV(out io.Writer, r *Result) error {
	w := csv.NewWriter(out)
	if err := w.Write(r.Columns); err != nil {
		return err
	}
	for _, row := range r.Rows {
		rec := make([]string, len(row))
		for j, v := range row {
			if v != nil {
				rec[j] = text(v, r.Types[j])
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func writeJSON(out io.Writer, r *Result) error {
	var b strings.Builder
	b.WriteString("[")
	for i, row := range r.Rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			k, err := json.Marshal(r.Columns[j])
			if err != nil {
				return err
			}
			val, err := json.Marshal(jsonValue(v, r.Types[j]))
			if err != nil {
				return fmt.Errorf("column %s: %w", r.Columns[j], err)
			}
			b.Write(k)
			b.WriteString(": ")
			b.Write(val)
		}
		b.WriteString("}")
	}
	if len(r.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(out, b.String())
	return err
}

func jsonValue(v any, typ string) any {
	switch v := v.(type) {
	case time.Time:
		return text(v, typ)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e, "")
		}
		return out
	}
	return v
}

// text is a value as printed in tables and CSV.
func text(v any, typ string) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		if typ == "DATE" {
			return v.Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339Nano)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			if e == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = text(e, "")
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func numeric(typ string) bool {
	switch typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(typ, "DECIMAL")
}
