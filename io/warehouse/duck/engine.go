package duck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/internal/parquetrows"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// Engine is the local warehouse's dimensions.Engine: DuckDB runs the models
// over the committed Parquet files, and Apply stages the results with
// warehouse.Stage under the run id and swaps them in with one journaled
// warehouse.CommitScope. It also counts the rows each model reads (Reads).
type Engine struct {
	db    *DB
	conn  *sql.Conn // the temporary tables live on one connection
	runID string
	// profile is the file DuckDB writes each statement's profile to.
	profile string
	reads   []Read
}

// Read is what one model read, from DuckDB's profile: the rows scanned by
// its table scans (operator_rows_scanned), per warehouse table and for the
// step's temporary tables together. A scan reads whole row groups of the
// files its partition filter keeps, so these are the rows the engine read,
// not the rows that passed the filters.
type Read struct {
	Model string
	// Tables are the rows scanned from each warehouse table's files.
	Tables map[string]int64
	// Temporary are the rows scanned from the step's temporary tables.
	Temporary int64
}

// NewEngine opens the warehouse at dir (see Open) for a dimension step whose
// writes are staged and committed under runID; Close releases it.
func NewEngine(ctx context.Context, dir, runID string) (*Engine, error) {
	db, err := Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	e := &Engine{db: db, runID: runID}
	if e.conn, err = db.db.Conn(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("duckdb connection: %w", err), db.Close())
	}
	f, err := os.CreateTemp("", "duck-profile-*.json")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("profile: %w", err), e.Close())
	}
	e.profile = f.Name()
	if err := f.Close(); err != nil {
		return nil, errors.Join(fmt.Errorf("profile: %w", err), e.Close())
	}
	for _, s := range []string{"PRAGMA enable_profiling = 'json'", "SET profiling_output = " + quoteString(e.profile)} {
		if _, err := e.conn.ExecContext(ctx, s); err != nil {
			return nil, errors.Join(fmt.Errorf("profile: %w", err), e.Close())
		}
	}
	return e, nil
}

// Close closes the database and removes the profile file.
func (e *Engine) Close() error {
	var errs []error
	if e.conn != nil {
		errs = append(errs, e.conn.Close())
	}
	if e.profile != "" {
		errs = append(errs, os.Remove(e.profile))
	}
	return errors.Join(append(errs, e.db.Close())...)
}

// Reads are the rows each model read so far (Materialize and Query), in
// the order they ran.
func (e *Engine) Reads() []Read { return e.reads }

// Load implements dimensions.Engine.
func (e *Engine) Load(ctx context.Context, name string, columns []dimensions.Column, rows [][]any) error {
	defs := make([]string, len(columns))
	marks := make([]string, len(columns))
	for i, c := range columns {
		typ, err := duckType(schemas.Column{Name: c.Name, Type: c.Type})
		if err != nil {
			return err
		}
		defs[i] = quoteIdent(c.Name) + " " + typ
		marks[i] = "CAST(? AS " + typ + ")"
	}
	if _, err := e.conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", quoteIdent(name), strings.Join(defs, ", "))); err != nil {
		return err
	}
	insert := fmt.Sprintf("INSERT INTO %s VALUES (%s)", quoteIdent(name), strings.Join(marks, ", "))
	for _, r := range rows {
		args := make([]any, len(r))
		for i, v := range r {
			if t, ok := v.(time.Time); ok && columns[i].Type == "DATE" {
				v = models.DateOf(t)
			}
			args[i] = bindValue(v)
		}
		if _, err := e.conn.ExecContext(ctx, insert, args...); err != nil {
			return err
		}
	}
	return nil
}

// Materialize implements dimensions.Engine.
func (e *Engine) Materialize(ctx context.Context, name, query string, params models.Params) (int64, error) {
	if err := e.create(ctx, name, query, params, ""); err != nil {
		return 0, err
	}
	read, err := e.read(name)
	if err != nil {
		return 0, err
	}
	e.reads = append(e.reads, read)
	var n int64
	err = e.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(name)).Scan(&n)
	return n, err
}

// Empty implements dimensions.Engine: with LIMIT 0, DuckDB plans the query
// and scans nothing.
func (e *Engine) Empty(ctx context.Context, name, query string, params models.Params) error {
	return e.create(ctx, name, query, params, " LIMIT 0")
}

func (e *Engine) create(ctx context.Context, name, query string, params models.Params, suffix string) error {
	translated, args, err := translate(query, params)
	if err != nil {
		return err
	}
	stmt := fmt.Sprintf("CREATE TEMP TABLE %s AS SELECT * FROM (\n%s\n) AS model%s", quoteIdent(name), translated, suffix)
	_, err = e.conn.ExecContext(ctx, stmt, args...)
	return err
}

// Query implements dimensions.Engine.
func (e *Engine) Query(ctx context.Context, name, query string, params models.Params) ([][]any, error) {
	res, err := run(ctx, e.conn, query, params)
	if err != nil {
		return nil, err
	}
	read, err := e.read(name)
	if err != nil {
		return nil, err
	}
	e.reads = append(e.reads, read)
	return res.Rows, nil
}

// Dates implements dimensions.Engine.
func (e *Engine) Dates(_ context.Context, table string) ([]time.Time, error) {
	return warehouse.Dates(e.db.dir, table)
}

// Apply implements dimensions.Engine: it stages every output's rows under
// the engine's run id and commits them with one journaled
// warehouse.CommitScope, whose scope lists the dates of each
// ReplacePartitions output: each of them holds the source's rows of that
// date afterwards, and one without rows is removed. A ReplaceTable output
// replaces its table, and an UpdateColumn output rewrites the partitions in
// which it changes some row; nothing else is touched.
//
// The outputs are read from the engine's connection one at a time, and
// each is staged on a goroutine of its own while the next is read: staging
// is Go (Parquet, and for an UpdateColumn output the rewrite of its
// partitions), reading mostly DuckDB's, and the step otherwise leaves a
// core idle. On the 1M-record bench data Apply took 1.6-1.7 s instead of
// 1.9 s; timed stage by stage later (December 6), the other nine outputs
// are read and staged within 0.25 s while the fact_sessions rewrite (the
// first output: see dimensions) takes all of Apply's 1.7-2.2 s. Since
// that rewrite copies column by column (warehouse.StageColumn; December
// 7), it takes 0.69 s instead of 1.62-1.67 s on that run's 183k sessions
// and four dates, and the dimension step 4.9-5.4 s instead of 6.5-7.2 s.
func (e *Engine) Apply(ctx context.Context, outputs []dimensions.Output) ([]dimensions.Updated, error) {
	scope := warehouse.Scope{}
	updated := make([][]dimensions.Updated, len(outputs))
	// A failed staging cancels the reads still to come.
	staging, readCtx := errgroup.WithContext(ctx)
	for i, o := range outputs {
		var stage func() ([]dimensions.Updated, error)
		var err error
		switch o.Write {
		case dimensions.ReplaceTable:
			stage, err = e.replace(readCtx, o)
		case dimensions.ReplacePartitions:
			scope[o.Table] = append(scope[o.Table], o.Dates...)
			stage, err = e.replace(readCtx, o)
		case dimensions.UpdateColumn:
			stage, err = e.update(readCtx, o)
		default:
			err = fmt.Errorf("unknown write %d", o.Write)
		}
		if err != nil {
			if stageErr := staging.Wait(); stageErr != nil {
				return nil, stageErr // it came first, and may have canceled this read
			}
			return nil, fmt.Errorf("write %s: %w", o.Table, err)
		}
		staging.Go(func() error {
			u, err := stage()
			if err != nil {
				return fmt.Errorf("write %s: %w", o.Table, err)
			}
			updated[i] = u
			return nil
		})
	}
	if err := staging.Wait(); err != nil {
		return nil, err
	}
	if _, err := warehouse.CommitScope(e.db.dir, e.runID, scope); err != nil {
		return nil, err
	}
	return slices.Concat(updated...), nil
}

// rowsOf returns the source's rows as table's Go rows.
func (e *Engine) rowsOf(ctx context.Context, table, source string) (rowSet, error) {
	newSet, ok := rowSets[table]
	if !ok {
		return nil, fmt.Errorf("the engine does not write %s", table)
	}
	set := newSet()
	rows, err := e.conn.QueryContext(ctx, "SELECT * FROM "+quoteIdent(source))
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read: errors surface in rows.Err
	return set, set.scan(rows)
}

// replace reads a ReplaceTable or ReplacePartitions output's rows and
// returns the function that stages them.
func (e *Engine) replace(ctx context.Context, o dimensions.Output) (func() ([]dimensions.Updated, error), error) {
	set, err := e.rowsOf(ctx, o.Table, o.Source)
	if err != nil {
		return nil, err
	}
	return func() ([]dimensions.Updated, error) { return nil, set.stage(e.db.dir, e.runID, o.Table) }, nil
}

// update reads an UpdateColumn output's changes and returns the function
// that applies them: it stages the partitions the source changes with the
// column set in the rows whose key matches a source row's, copying every
// other value as stored (warehouse.StageColumn).
func (e *Engine) update(ctx context.Context, o dimensions.Output) (func() ([]dimensions.Updated, error), error) {
	changes, err := run(ctx, e.conn, fmt.Sprintf("SELECT %s, %s FROM %s", joinIdents(o.Key), quoteIdent(o.Set), quoteIdent(o.Source)), nil)
	if err != nil {
		return nil, err
	}
	if len(changes.Rows) == 0 {
		return func() ([]dimensions.Updated, error) { return nil, nil }, nil
	}
	cols, err := newUpdateColumns(o)
	if err != nil {
		return nil, err
	}
	values := map[string]parquet.Value{}
	var dates []time.Time
	for _, c := range changes.Rows {
		v, err := cols.value(c[len(o.Key)])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Set, err)
		}
		values[string(appendKey(nil, c[:len(o.Key)]))] = v
		if d := c[0].(time.Time); !slices.ContainsFunc(dates, d.Equal) {
			dates = append(dates, d)
		}
	}
	return func() ([]dimensions.Updated, error) { return stageUpdate(e.db.dir, e.runID, o, cols, values, dates) }, nil
}

// stageUpdate stages the partitions of dates of o's table with the column
// cols.set set to values[key] in the rows whose key is in values.
func stageUpdate(dir, runID string, o dimensions.Output, cols updateColumns, values map[string]parquet.Value, dates []time.Time) ([]dimensions.Updated, error) {
	edited, err := warehouse.StageColumn(dir, runID, o.Table, dates, cols.key, cols.set, func(date time.Time, row []parquet.Value) (parquet.Value, bool, error) {
		key := make([]any, 1+len(row))
		key[0] = date
		for i, v := range row {
			key[i+1] = goValue(v)
		}
		v, ok := values[string(appendKey(nil, key))]
		return v, ok, nil
	})
	if err != nil {
		return nil, err
	}
	updated := make([]dimensions.Updated, 0, len(edited))
	var rows int64
	for d, c := range edited {
		updated = append(updated, dimensions.Updated{Table: o.Table, Date: d, Rows: c.Rows, Changed: c.Changed})
		rows += c.Rows
	}
	if rows == 0 {
		return nil, fmt.Errorf("no rows in the partitions to update")
	}
	return updated, nil
}

// appendKey appends the spelling of a row's key values, as DuckDB returns
// them and as goValue reads them from Parquet values, to b: values that
// differ are spelled differently, and an integer or a date is spelled
// alike whatever its Go type or location. It runs for every row of the
// partitions an update reads, where fmt.Sprint cost a microsecond a row.
func appendKey(b []byte, key []any) []byte {
	for _, v := range key {
		switch v := v.(type) {
		case nil:
			b = append(b, 'n')
		case string:
			b = append(b, 's')
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			b = append(b, v...)
		case int64:
			b = append(b, 'i')
			b = strconv.AppendInt(b, v, 10)
		case int32:
			b = append(b, 'i')
			b = strconv.AppendInt(b, int64(v), 10)
		case time.Time:
			b = append(b, 't')
			b = strconv.AppendInt(b, v.UnixMicro(), 10)
		default:
			b = fmt.Appendf(b, "%T:%v", v, v)
		}
		b = append(b, ';')
	}
	return b
}

// updateColumns are an UpdateColumn output's columns in its table's
// Parquet rows, as leaf indexes: key holds those of the keys after the
// first (the partition column, known from the partition read), set that of
// the string column set, whose maximum definition level is def.
type updateColumns struct {
	key      []int
	set, def int
}

func newUpdateColumns(o dimensions.Output) (updateColumns, error) {
	schema, err := parquetrows.Schema(o.Table)
	if err != nil {
		return updateColumns{}, err
	}
	var u updateColumns
	for _, k := range o.Key[1:] {
		leaf, ok := schema.Lookup(k)
		if !ok || leaf.MaxRepetitionLevel > 0 || !slices.Contains(keyKinds, leaf.Node.Type().Kind()) {
			return updateColumns{}, fmt.Errorf("key %s is not a string, integer or boolean column of %s", k, o.Table)
		}
		u.key = append(u.key, leaf.ColumnIndex)
	}
	leaf, ok := schema.Lookup(o.Set)
	if !ok || leaf.MaxRepetitionLevel > 0 || leaf.Node.Type().Kind() != parquet.ByteArray {
		return updateColumns{}, fmt.Errorf("%s is not a string column of %s", o.Set, o.Table)
	}
	u.set, u.def = leaf.ColumnIndex, leaf.MaxDefinitionLevel
	return u, nil
}

// value is v, a source's value of the set column, in its Parquet form. The
// warehouse stores an empty optional string as NULL, as the row types'
// writer does.
func (u updateColumns) value(v any) (parquet.Value, error) {
	s, ok := v.(string)
	if v != nil && !ok {
		return parquet.Value{}, fmt.Errorf("cannot store %T", v)
	}
	if s == "" && u.def > 0 {
		return parquet.NullValue().Level(0, u.def-1, u.set), nil
	}
	return parquet.ByteArrayValue([]byte(s)).Level(0, u.def, u.set), nil
}

// keyKinds are the physical types of the key columns goValue reads.
var keyKinds = []parquet.Kind{parquet.ByteArray, parquet.Int64, parquet.Boolean}

// goValue is v, a value of a key column of one of keyKinds, as the
// source's rows hold it.
func goValue(v parquet.Value) any {
	switch {
	case v.IsNull():
		return nil
	case v.Kind() == parquet.ByteArray:
		return string(v.ByteArray())
	case v.Kind() == parquet.Int64:
		return v.Int64()
	default:
		return v.Boolean()
	}
}

// read returns what the statement just profiled read.
func (e *Engine) read(model string) (Read, error) {
	b, err := os.ReadFile(e.profile)
	if err != nil {
		return Read{}, fmt.Errorf("profile: %w", err)
	}
	read, err := parseProfile(b, e.db.dir)
	if err != nil {
		return Read{}, fmt.Errorf("profile: %w", err)
	}
	read.Model = model
	return read, nil
}

func joinIdents(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quoteIdent(n)
	}
	return strings.Join(quoted, ", ")
}

// tableOfFile is the warehouse table a data file under dir belongs to.
func tableOfFile(dir, file string) string {
	rel, err := filepath.Rel(dir, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return first
}

var _ dimensions.Engine = (*Engine)(nil)
