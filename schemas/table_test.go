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
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Type, c.Mode, strings.ReplaceAll(c.Description, "|", "\\|"))
		}
	}
	return b.String()
}

func TestTablesAreWellFormed(t *testing.T) {
	types := map[string]bool{"STRING": true, "INT64": true, "FLOAT64": true, "BOOL": true, "DATE": true, "TIMESTAMP": true}
	modes := map[string]bool{"REQUIRED": true, "NULLABLE": true, "REPEATED": true}
	for _, tbl := range Tables() {
		seen := map[string]bool{}
		for _, c := range tbl.Schema {
			if seen[c.Name] || !types[c.Type] || !modes[c.Mode] || c.Description == "" {
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
