package duck

import (
	"context"
	"fmt"
)

// macros are the GoogleSQL (BigQuery) functions that the shared SQL (sql/
// and sql/models) uses and DuckDB lacks, defined in DuckDB under their
// GoogleSQL names. This is the one place where the two dialects differ for
// that SQL; everything else is written in what both engines accept (see the
// package documentation).
//
// Both engines match RE2 patterns anywhere in the string: BigQuery's
// REGEXP_CONTAINS and DuckDB's regexp_matches (DuckDB's regular expressions
// are RE2 too), as Go's regexp.MatchString does.
var macros = []struct{ name, args, body string }{
	{"regexp_contains", "value, pattern", "regexp_matches(value, pattern)"},
	// Microseconds since the epoch of a TIMESTAMP: timestamp arithmetic in
	// the models is done on these, since the engines spell intervals and
	// TIMESTAMP_SUB differently.
	{"unix_micros", "ts", "epoch_us(ts)"},
}

// createMacros defines the macros in db's catalog, shared by its
// connections.
func createMacros(ctx context.Context, db querier) error {
	for _, m := range macros {
		if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE MACRO %s(%s) AS %s", m.name, m.args, m.body)); err != nil {
			return fmt.Errorf("macro %s: %w", m.name, err)
		}
	}
	return nil
}
