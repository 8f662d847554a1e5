package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	// inputs and models count what model directories added: the tables a
	// step loads, and the models' results.
	inputs int
	models int
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
		cols, err := columns(tf, d)
		if err != nil {
			return nil, fmt.Errorf("table %w", err)
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

// columns are the GoogleSQL columns of a table definition.
func columns(tf *googlesql.TypeFactory, d tableDef) ([]column, error) {
	if d.Name == "" || len(d.Schema) == 0 {
		return nil, fmt.Errorf("%q: want a name and a schema", d.Name)
	}
	cols := make([]column, len(d.Schema))
	for i, f := range d.Schema {
		t, err := columnType(tf, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		cols[i] = column{f.Name, t}
	}
	return cols, nil
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
// A view that reads another view is retried once that one is known. A
// directory holding a step declaration (stepFile) holds models, analyzed
// last (see checkModels), so that no other file can read their results.
func (c *checker) checkTree(dir, viewsDir string) ([]result, error) {
	var views, others []string
	models := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".sql" {
			return err
		}
		if rel, err := filepath.Rel(viewsDir, p); err == nil && !strings.HasPrefix(rel, "..") {
			views = append(views, p)
			return nil
		}
		switch _, err := os.Stat(filepath.Join(filepath.Dir(p), stepFile)); {
		case err == nil:
			models[filepath.Dir(p)] = append(models[filepath.Dir(p)], p)
		case errors.Is(err, fs.ErrNotExist):
			others = append(others, p)
		default:
			return err
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
	for _, d := range slices.Sorted(maps.Keys(models)) {
		r, err := c.checkModels(d, models[d])
		if err != nil {
			return nil, err
		}
		results = append(results, r...)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].path < results[j].path })
	return results, nil
}

// stepFile declares, next to a directory of models (sql/models), the
// tables a step loads before its first model and the order it runs the
// models in; each model reads the warehouse's tables, those inputs and the
// results of the models before it.
const stepFile = "step.json"

// stepDef is a stepFile: inputs in the format of schemas/tables.
type stepDef struct {
	Inputs []tableDef `json:"inputs"`
	Order  []string   `json:"order"`
}

// checkModels analyzes the models of dir (paths, its .sql files) in the
// order its step declaration gives, after registering the declared inputs
// as tables; each model is one query, and its result columns become a
// table named after the file for the models after it. A model the
// declaration does not order, or one it orders that does not exist, is
// rejected: a step never runs the first, and cannot run the second.
func (c *checker) checkModels(dir string, paths []string) ([]result, error) {
	b, err := os.ReadFile(filepath.Join(dir, stepFile))
	if err != nil {
		return nil, fmt.Errorf("read step declaration: %w", err)
	}
	var step stepDef
	if err := json.Unmarshal(b, &step); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stepFile), err)
	}
	for _, in := range step.Inputs {
		cols, err := columns(c.tf, in)
		if err != nil {
			return nil, fmt.Errorf("%s: input %w", filepath.Join(dir, stepFile), err)
		}
		if err := c.addTable(in.Name, cols); err != nil {
			return nil, err
		}
		c.inputs++
	}
	var results []result
	for _, name := range step.Order {
		p := filepath.Join(dir, name+".sql")
		if !slices.Contains(paths, p) {
			results = append(results, result{path: p, err: fmt.Errorf("%s orders model %s, which has no file", stepFile, name)})
			continue
		}
		cols, err := c.analyzeQuery(p)
		if err != nil {
			results = append(results, result{path: p, err: err})
			continue
		}
		if err := c.addTable(name, cols); err != nil {
			return nil, err
		}
		c.models++
		results = append(results, result{path: p, statements: 1})
	}
	for _, p := range paths {
		if !slices.Contains(step.Order, strings.TrimSuffix(filepath.Base(p), ".sql")) {
			results = append(results, result{path: p, err: fmt.Errorf("not in the order of %s: a step never runs it", stepFile)})
		}
	}
	return results, nil
}

// addViews analyzes the views in passes until a pass adds none; what still
// fails then is reported with its own error.
func (c *checker) addViews(paths []string) ([]result, error) {
	var results []result
	for pending := paths; len(pending) > 0; {
		var failed []result
		for _, p := range pending {
			cols, err := c.analyzeQuery(p)
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

// analyzeQuery analyzes a view's or a model's query (one statement) and
// returns its result columns.
func (c *checker) analyzeQuery(path string) ([]column, error) {
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
		return nil, fmt.Errorf("a view or a model must be one query, not a %T", stmt)
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
