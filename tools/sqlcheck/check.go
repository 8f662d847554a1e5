package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	googlesql "github.com/goccy/go-googlesql"
)

// Views are Terraform templates that name their tables
// `${project}.${dataset}.<table>`; the check registers every table and view
// under these names too, so a view is analyzed as written.
const (
	templateProject = "${project}"
	templateDataset = "${dataset}"
)

// checker analyzes SQL files against one catalog: the tables of
// schemas/tables, then the views as they are added.
type checker struct {
	lang    *googlesql.LanguageOptions
	tf      *googlesql.TypeFactory
	catalog *googlesql.SimpleCatalog
	// dataset is the sub-catalog ${project}.${dataset}, for views'
	// qualified table names.
	dataset *googlesql.SimpleCatalog
	tables  int
	views   int
}

// result is the outcome for one SQL file.
type result struct {
	path       string
	statements int
	err        error
}

func newChecker(tablesDir string) (*checker, error) {
	if err := googlesql.Init(); err != nil {
		return nil, fmt.Errorf("init GoogleSQL: %w", err)
	}
	lang, err := bigQueryLanguage()
	if err != nil {
		return nil, err
	}
	tf, err := googlesql.NewTypeFactory()
	if err != nil {
		return nil, fmt.Errorf("type factory: %w", err)
	}
	catalog, err := googlesql.NewSimpleCatalog("bigquery", tf)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if err := catalog.AddBuiltinFunctionsAndTypes(&googlesql.BuiltinFunctionOptions{LanguageOptions: lang}); err != nil {
		return nil, fmt.Errorf("builtin functions: %w", err)
	}
	project, err := catalog.MakeOwnedSimpleCatalog(templateProject)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", templateProject, err)
	}
	dataset, err := project.MakeOwnedSimpleCatalog(templateDataset)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", templateDataset, err)
	}
	c := &checker{lang: lang, tf: tf, catalog: catalog, dataset: dataset}
	defs, err := readTables(tablesDir)
	if err != nil {
		return nil, err
	}
	for _, d := range defs {
		cols := make([]column, len(d.Schema))
		for i, f := range d.Schema {
			t, err := columnType(tf, f)
			if err != nil {
				return nil, fmt.Errorf("table %s: %w", d.Name, err)
			}
			cols[i] = column{f.Name, t}
		}
		if err := c.addTable(d.Name, cols); err != nil {
			return nil, err
		}
		c.tables++
	}
	return c, nil
}

type column struct {
	name string
	typ  googlesql.Googlesql_TypeNode
}

// addTable registers a table (or a view's result) by its bare name, as the
// analyses name it (BigQuery callers set the default dataset), and by the
// names a view template gives it: the single backquoted identifier
// `${project}.${dataset}.name` (GoogleSQL, unlike BigQuery, does not split
// it at the dots) and the path `${project}`.`${dataset}`.name.
func (c *checker) addTable(name string, cols []column) error {
	t, err := googlesql.NewSimpleTable(name, 0)
	if err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	for _, col := range cols {
		sc, err := googlesql.NewSimpleColumn(name, col.name, col.typ, false, true)
		if err != nil {
			return fmt.Errorf("table %s: column %s: %w", name, col.name, err)
		}
		if err := t.AddColumn2(sc, false); err != nil {
			return fmt.Errorf("table %s: column %s: %w", name, col.name, err)
		}
	}
	for _, reg := range []struct {
		catalog *googlesql.SimpleCatalog
		name    string
	}{
		{c.catalog, name},
		{c.catalog, templateProject + "." + templateDataset + "." + name},
		{c.dataset, name},
	} {
		if err := reg.catalog.AddTable2(reg.name, t); err != nil {
			return fmt.Errorf("register table %s: %w", reg.name, err)
		}
	}
	return nil
}

// checkTree analyzes every .sql file under dir. Files under viewsDir are
// views: each is analyzed first and its result columns become a table
// named after the file, so the other files (and other views) can read it.
// A view that reads another view is retried once that one is known.
func (c *checker) checkTree(dir, viewsDir string) ([]result, error) {
	var views, others []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".sql" {
			return err
		}
		if rel, err := filepath.Rel(viewsDir, p); err == nil && !strings.HasPrefix(rel, "..") {
			views = append(views, p)
		} else {
			others = append(others, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list SQL files: %w", err)
	}
	results, err := c.addViews(views)
	if err != nil {
		return nil, err
	}
	for _, p := range others {
		results = append(results, c.checkFile(p))
	}
	sort.Slice(results, func(i, j int) bool { return results[i].path < results[j].path })
	return results, nil
}

// addViews analyzes the views in passes until a pass adds none; what still
// fails then is reported with its own error.
func (c *checker) addViews(paths []string) ([]result, error) {
	var results []result
	for pending := paths; len(pending) > 0; {
		var failed []result
		for _, p := range pending {
			cols, err := c.analyzeView(p)
			if err != nil {
				failed = append(failed, result{path: p, err: err})
				continue
			}
			name := strings.TrimSuffix(filepath.Base(p), ".sql")
			if err := c.addTable(name, cols); err != nil {
				return nil, err
			}
			c.views++
			results = append(results, result{path: p, statements: 1})
		}
		if len(failed) == len(pending) {
			return append(results, failed...), nil
		}
		pending = pending[:0:0]
		for _, f := range failed {
			pending = append(pending, f.path)
		}
	}
	return results, nil
}

// analyzeView analyzes a view's query (one statement) and returns its
// result columns.
func (c *checker) analyzeView(path string) ([]column, error) {
	sql, opts, err := c.load(path)
	if err != nil {
		return nil, err
	}
	out, err := googlesql.AnalyzeStatement(sql, opts, c.catalog, c.tf)
	if err != nil {
		return nil, err
	}
	stmt, err := out.ResolvedStatement()
	if err != nil {
		return nil, fmt.Errorf("resolved statement: %w", err)
	}
	q, ok := stmt.(*googlesql.ResolvedQueryStmt)
	if !ok {
		return nil, fmt.Errorf("a view must be one query, not a %T", stmt)
	}
	outCols, err := q.OutputColumnList()
	if err != nil {
		return nil, fmt.Errorf("output columns: %w", err)
	}
	cols := make([]column, len(outCols))
	for i, oc := range outCols {
		name, err := oc.Name()
		if err != nil {
			return nil, fmt.Errorf("output column name: %w", err)
		}
		rc, err := oc.Column()
		if err != nil {
			return nil, fmt.Errorf("output column %s: %w", name, err)
		}
		t, err := rc.Type()
		if err != nil {
			return nil, fmt.Errorf("output column %s type: %w", name, err)
		}
		cols[i] = column{name, t}
	}
	return cols, nil
}

// checkFile analyzes each statement of a file in turn. The first error
// ends the file: after it the parser's position is not reliable.
func (c *checker) checkFile(path string) result {
	r := result{path: path}
	sql, opts, err := c.load(path)
	if err != nil {
		r.err = err
		return r
	}
	loc, err := googlesql.NewParseResumeLocationFromString2(path, sql)
	if err != nil {
		r.err = fmt.Errorf("parse location: %w", err)
		return r
	}
	for {
		pos, err := loc.BytePosition()
		if err != nil {
			r.err = fmt.Errorf("parse position: %w", err)
			return r
		}
		if blank(sql[pos:]) {
			if r.statements == 0 {
				r.err = fmt.Errorf("no SQL statement")
			}
			return r
		}
		if _, err := googlesql.AnalyzeNextStatement(loc, opts, c.catalog, c.tf); err != nil {
			r.err = err
			if strings.HasPrefix(err.Error(), "Query parameter ") {
				r.err = fmt.Errorf("%w\n(query parameters are declared in the file's header: -- Parameters: @name (TYPE): ...)", err)
			}
			return r
		}
		r.statements++
	}
}

// load reads a file and makes its analyzer options: the BigQuery language
// and the query parameters its header declares.
func (c *checker) load(path string) (string, *googlesql.AnalyzerOptions, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("read: %w", err)
	}
	sql := string(b)
	params, err := declaredParams(sql)
	if err != nil {
		return "", nil, err
	}
	opts, err := googlesql.NewAnalyzerOptions(c.lang)
	if err != nil {
		return "", nil, fmt.Errorf("analyzer options: %w", err)
	}
	if err := opts.SetErrorMessageMode(googlesql.ErrorMessageModeErrorMessageMultiLineWithCaret); err != nil {
		return "", nil, fmt.Errorf("error message mode: %w", err)
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t, err := googlesql.AnalyzeType(params[n], opts, c.catalog, c.tf)
		if err != nil {
			return "", nil, fmt.Errorf("header: type of @%s: %w", n, err)
		}
		if err := opts.AddQueryParameter(n, t); err != nil {
			return "", nil, fmt.Errorf("parameter @%s: %w", n, err)
		}
	}
	return sql, opts, nil
}

// blank reports whether s holds only white space and comments (--, # and
// /* */), i.e. no further statement.
func blank(s string) bool {
	for {
		s = strings.TrimLeft(s, " \t\r\n;")
		switch {
		case s == "":
			return true
		case strings.HasPrefix(s, "--"), strings.HasPrefix(s, "#"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return true
			}
			s = s[i:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return false
			}
			s = s[i+2:]
		default:
			return false
		}
	}
}
