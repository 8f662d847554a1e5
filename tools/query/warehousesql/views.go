package warehousesql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// tableRef is how a view of sql/views names a table: fully qualified for
// BigQuery, with the project and dataset Terraform's templatefile fills in.
var tableRef = regexp.MustCompile("`\\$\\{project\\}\\.\\$\\{dataset\\}\\.([a-z0-9_]+)`")

// CreateViews creates in the warehouse each view of viewDir (sql/views), a
// Terraform template per view named after its file: every table or view
// reference `${project}.${dataset}.<name>` becomes the bare name, as Open
// names the tables. A view reading another view is created after it. It
// returns the names of the views created, sorted; a file with another kind
// of reference, or that DuckDB rejects, is an error naming it.
func (w *Warehouse) CreateViews(ctx context.Context, viewDir string) ([]string, error) {
	names, err := Queries(viewDir)
	if err != nil {
		return nil, err
	}
	bodies := map[string]string{}
	for _, name := range names {
		b, err := os.ReadFile(QueryPath(viewDir, name))
		if err != nil {
			return nil, err
		}
		body := tableRef.ReplaceAllString(string(b), "$1")
		if strings.Contains(body, "${") || strings.Contains(body, "`") {
			return nil, fmt.Errorf("view %s: a table reference is not `${project}.${dataset}.<table>`", name)
		}
		bodies[name] = body
	}
	// Each pass creates the views whose references exist; a pass that
	// creates none leaves only views that fail on their own.
	pending := names
	for len(pending) > 0 {
		var failed []string
		var errs []error
		for _, name := range pending {
			if _, err := w.SQL().ExecContext(ctx, "CREATE VIEW "+name+" AS "+bodies[name]); err != nil {
				failed = append(failed, name)
				errs = append(errs, fmt.Errorf("view %s: %w", name, err))
			}
		}
		if len(failed) == len(pending) {
			return nil, errors.Join(errs...)
		}
		pending = failed
	}
	return names, nil
}
