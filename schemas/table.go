package schemas

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
)

//go:embed tables/*.json
var tableFiles embed.FS

// Column is one column in BigQuery's schema JSON format.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // STRING, INT64, FLOAT64, BOOL, DATE, TIMESTAMP, RECORD
	Mode string `json:"mode"` // REQUIRED, NULLABLE or REPEATED
	// MaxLength bounds a STRING column (each element of a REPEATED one):
	// BigQuery's STRING(L), which counts characters. Every STRING column has
	// one; transforms/sanitize cuts values to that many bytes, which is never
	// more characters, before any sink writes them.
	MaxLength   int64  `json:"maxLength,omitempty"`
	Description string `json:"description"`
	// Fields are the columns of a RECORD (only a REPEATED one is used: a
	// list of structs in Go and Parquet), in BigQuery's schema JSON.
	Fields []Column `json:"fields,omitempty"`
}

// Partitioning is a table's time partitioning.
type Partitioning struct {
	Type  string `json:"type"`  // always DAY
	Field string `json:"field"` // a DATE column
}

// Table is one output table's definition, as stored in tables/<name>.json.
type Table struct {
	Name                   string       `json:"name"`
	Description            string       `json:"description"`
	Grain                  string       `json:"grain"`
	TimePartitioning       Partitioning `json:"time_partitioning"`
	Clustering             []string     `json:"clustering"`
	RequirePartitionFilter bool         `json:"require_partition_filter"`
	Schema                 []Column     `json:"schema"`
}

// Column returns the named column, or false.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Schema {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Tables returns every table definition, sorted by name.
func Tables() []Table {
	entries, err := tableFiles.ReadDir("tables")
	if err != nil {
		panic(fmt.Sprintf("schemas: embedded tables: %v", err))
	}
	var out []Table
	for _, e := range entries {
		out = append(out, mustLoad(path.Join("tables", e.Name())))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// MustTable returns the named table definition and panics if there is none:
// table names are compile-time constants, so a miss is a programming error.
func MustTable(name string) Table {
	return mustLoad(path.Join("tables", name+".json"))
}

func mustLoad(file string) Table {
	b, err := tableFiles.ReadFile(file)
	if err != nil {
		panic(fmt.Sprintf("schemas: %v", err))
	}
	var t Table
	if err := json.Unmarshal(b, &t); err != nil {
		panic(fmt.Sprintf("schemas: %s: %v", file, err))
	}
	return t
}
