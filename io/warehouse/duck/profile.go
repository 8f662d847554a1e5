package duck

import (
	"encoding/json"
	"strings"
)

// profileNode is a node of DuckDB's JSON profile (PRAGMA
// enable_profiling = 'json'): the statement at the root, operators below.
type profileNode struct {
	OperatorType string         `json:"operator_type"`
	RowsScanned  int64          `json:"operator_rows_scanned"`
	ExtraInfo    map[string]any `json:"extra_info"`
	Children     []profileNode  `json:"children"`
}

// parseProfile sums the rows scanned by the table scans of a statement's
// profile: per warehouse table for Parquet scans of files under dir, and
// together for scans of temporary tables.
func parseProfile(b []byte, dir string) (Read, error) {
	var root profileNode
	if err := json.Unmarshal(b, &root); err != nil {
		return Read{}, err
	}
	read := Read{Tables: map[string]int64{}}
	var walk func(n profileNode)
	walk = func(n profileNode) {
		if n.OperatorType == "TABLE_SCAN" && n.RowsScanned > 0 {
			if files, ok := n.ExtraInfo["Filename(s)"].(string); ok {
				first, _, _ := strings.Cut(strings.TrimSpace(files), "\n")
				first, _, _ = strings.Cut(first, ",")
				read.Tables[tableOfFile(dir, strings.TrimSpace(first))] += n.RowsScanned
			} else {
				read.Temporary += n.RowsScanned
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	return read, nil
}
