package schemas

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite tables.md from tables/*.json")

// TestTablesDoc keeps tables.md, the readable table reference, generated
// from tables/*.json, the single source of the table definitions.
func TestTablesDoc(t *testing.T) {
	got := tablesDoc()
	if *update {
		if err := os.WriteFile("tables.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("tables.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Error("tables.md is stale: run go test ./schemas -run TestTablesDoc -update")
	}
}

func tablesDoc() string {
	var b strings.Builder
	b.WriteString("# Tables\n\nGenerated from `tables/*.json` by `go test ./schemas -run TestTablesDoc -update`; do not edit.\n")
	b.WriteString("\n`STRING(L)` is BigQuery's bounded string: values are cut to L bytes (on a character\n" +
		"boundary, invalid UTF-8 replaced) before any sink writes them; see `transforms/sanitize`.\n")
	for _, t := range Tables() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", t.Name, t.Description)
		fmt.Fprintf(&b, "- Grain: %s.\n", t.Grain)
		if t.TimePartitioning.Field != "" {
			fmt.Fprintf(&b, "- Partitioned by `%s` (%s)", t.TimePartitioning.Field, t.TimePartitioning.Type)
			if t.RequirePartitionFilter {
				b.WriteString("; queries must filter it")
			}
			b.WriteString(".\n")
		} else {
			b.WriteString("- Not partitioned.\n")
		}
		if len(t.Clustering) > 0 {
			fmt.Fprintf(&b, "- Clustered by `%s`.\n", strings.Join(t.Clustering, "`, `"))
		}
		b.WriteString("\n| column | type | mode | description |\n|---|---|---|---|\n")
		for _, c := range t.Schema {
			docColumn(&b, "", c)
		}
	}
	return b.String()
}

// docColumn writes a column's row, then its fields' as prefix.name.
func docColumn(b *strings.Builder, prefix string, c Column) {
	typ := c.Type
	if c.MaxLength > 0 {
		typ = fmt.Sprintf("%s(%d)", c.Type, c.MaxLength)
	}
	fmt.Fprintf(b, "| `%s%s` | %s | %s | %s |\n", prefix, c.Name, typ, c.Mode, strings.ReplaceAll(c.Description, "|", "\\|"))
	for _, f := range c.Fields {
		docColumn(b, prefix+c.Name+".", f)
	}
}

// leaves returns the columns of a table with a RECORD's fields in its place,
// named record.field.
func leaves(cols []Column) []Column {
	var out []Column
	for _, c := range cols {
		out = append(out, c)
		for _, f := range leaves(c.Fields) {
			f.Name = c.Name + "." + f.Name
			out = append(out, f)
		}
	}
	return out
}

func TestTablesAreWellFormed(t *testing.T) {
	types := map[string]bool{"STRING": true, "INT64": true, "FLOAT64": true, "BOOL": true, "DATE": true, "TIMESTAMP": true}
	modes := map[string]bool{"REQUIRED": true, "NULLABLE": true, "REPEATED": true}
	for _, tbl := range Tables() {
		seen := map[string]bool{}
		for _, c := range leaves(tbl.Schema) {
			// A RECORD is a repeated list of structs of scalar fields: what
			// the Parquet writer, the Storage Write encoder and sanitize
			// handle.
			record := c.Type == "RECORD" && c.Mode == "REPEATED" && len(c.Fields) > 0 && len(leaves(c.Fields)) == len(c.Fields)
			if seen[c.Name] || !(types[c.Type] && len(c.Fields) == 0 || record) || !modes[c.Mode] || c.Description == "" {
				t.Errorf("%s.%s: duplicate, bad type/mode or no description: %+v", tbl.Name, c.Name, c)
			}
			seen[c.Name] = true
		}
		if f := tbl.TimePartitioning.Field; f != "" && !seen[f] {
			t.Errorf("%s: partitioned by unknown column %s", tbl.Name, f)
		}
		if len(tbl.Clustering) > 4 {
			t.Errorf("%s: BigQuery allows at most 4 clustering columns", tbl.Name)
		}
		for _, c := range tbl.Clustering {
			if !seen[c] {
				t.Errorf("%s: clustered by unknown column %s", tbl.Name, c)
			}
		}
	}
}

// TestStringBounds: every STRING column is bounded, and a column name has one
// bound in every table, so that values cut to it still join across tables
// (device_id, user_key, page_key, ...).
func TestStringBounds(t *testing.T) {
	bound := map[string]int64{}
	for _, tbl := range Tables() {
		for _, c := range leaves(tbl.Schema) {
			if c.Type != "STRING" {
				if c.MaxLength != 0 {
					t.Errorf("%s.%s: maxLength on a %s column", tbl.Name, c.Name, c.Type)
				}
				continue
			}
			if c.MaxLength <= 0 {
				t.Errorf("%s.%s: STRING column without maxLength", tbl.Name, c.Name)
				continue
			}
			if b, ok := bound[c.Name]; ok && b != c.MaxLength {
				t.Errorf("%s.%s: maxLength %d, another table has %d", tbl.Name, c.Name, c.MaxLength, b)
			}
			bound[c.Name] = c.MaxLength
		}
	}
}
