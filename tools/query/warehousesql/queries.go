package warehousesql

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/sql/models"
)

// Warehouse is the local warehouse opened in DuckDB for the analysis
// queries (see duck.Open): one view per table, and Run for any query.
type Warehouse struct{ *duck.DB }

// Params and Result are a query's parameters and output.
type (
	Params = models.Params
	Result = duck.Result
)

// Open opens the warehouse at dir (see duck.Open).
func Open(ctx context.Context, dir string) (*Warehouse, error) {
	db, err := duck.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	return &Warehouse{db}, nil
}

// RunFile runs the query in a .sql file (see duck.DB.Run); errors name the
// file.
func (w *Warehouse) RunFile(ctx context.Context, path string, params Params) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res, err := w.Run(ctx, string(b), params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// QueryPath resolves a query given by name or path: a name without a slash
// or .sql suffix is the file <sqlDir>/<name>.sql.
func QueryPath(sqlDir, query string) string {
	if strings.ContainsRune(query, '/') || strings.ContainsRune(query, os.PathSeparator) || strings.HasSuffix(query, ".sql") {
		return query
	}
	return filepath.Join(sqlDir, query+".sql")
}

// Queries lists the names of the .sql files in sqlDir, sorted.
func Queries(sqlDir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(sqlDir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".sql"))
	}
	sort.Strings(names)
	return names, nil
}

// Summary is the first paragraph of a query file's header comment (what the
// query answers), on one line, or "".
func Summary(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var para []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			break
		}
		text := strings.TrimSpace(strings.TrimPrefix(line, "--"))
		if text == "" {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, text)
	}
	return strings.Join(para, " ")
}
