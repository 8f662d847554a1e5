package bqwarehouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/iterator"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// DefaultLeaseTTL is EngineOptions.LeaseTTL's default: a dimension step
// takes minutes, and a run whose step died blocks the next ones for at most
// this long.
const DefaultLeaseTTL = time.Hour

// EngineOptions configure NewEngine.
type EngineOptions struct {
	// Runner runs every job. Its Client's project holds Dataset.
	Runner *JobRunner
	// Dataset is the warehouse's dataset: the models' table names.
	Dataset string
	// RunID names the run: in the step's job ids and in the lease.
	RunID string
	// LeaseTTL is how long the lease holds if the step neither ends nor
	// gives it back (0: DefaultLeaseTTL); then another run may take it.
	LeaseTTL time.Duration
	// Now is the lease's clock (nil: time.Now).
	Now func() time.Time
}

// Engine is BigQuery's dimensions.Engine: every model runs as a query job
// of one BigQuery session, its result kept as a temporary table of the
// session, and Apply writes every output in one multi-statement
// transaction of DML. See the package documentation (Dimensions).
type Engine struct {
	opts    EngineOptions
	project string
	// step names this execution of the step: the run id and a random
	// token. It prefixes the job ids and identifies the lease.
	step    string
	session string
	// jobs counts the jobs submitted, which number their ids.
	jobs int
	// released is set once the lease is given back.
	released bool
	// applied is the job of Apply's transaction, once it succeeded.
	applied *JobResult
}

var _ dimensions.Engine = (*Engine)(nil)

// LeaseHeldError is NewEngine's error when another run's dimension step
// holds the lease.
type LeaseHeldError struct {
	Holder schemas.Lease
}

func (e *LeaseHeldError) Error() string {
	h := e.Holder
	return fmt.Sprintf("bigquery: the dimension step of run %s holds the lease (step %s, since %s): two runs' dimension steps must not interleave, so this one stops before it starts; its dates stay pending for the next run. If run %s died, its lease may be taken over after %s",
		h.RunID, h.StepID, h.AcquiredAt.UTC().Format(time.RFC3339), h.RunID, h.ExpiresAt.UTC().Format(time.RFC3339))
}

// NewEngine opens a BigQuery session for one dimension step of run
// opts.RunID and takes the lease (the dimension_lease table) in it: it
// fails at once, with a *LeaseHeldError naming the holder, when another
// run's step holds it. Close gives the lease back (if Apply has not) and
// ends the session.
func NewEngine(ctx context.Context, opts EngineOptions) (*Engine, error) {
	if opts.Runner == nil || opts.Dataset == "" || opts.RunID == "" {
		return nil, errors.New("bigquery: NewEngine needs a Runner, a Dataset and a RunID")
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	token := make([]byte, 6)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("bigquery: step token: %w", err)
	}
	e := &Engine{opts: opts, project: opts.Runner.Client.Project(), step: opts.RunID + "_dims_" + hex.EncodeToString(token)}
	holders, err := e.acquire(ctx)
	switch {
	case err != nil:
		return nil, errors.Join(fmt.Errorf("bigquery: take the dimension lease: %w", err), e.Close(ctx))
	case len(holders) == 1 && holders[0].StepID == e.step:
		return e, nil
	}
	e.released = true // it is not ours
	held := &LeaseHeldError{}
	if len(holders) > 0 {
		held.Holder = holders[0]
	}
	return nil, errors.Join(held, e.Close(ctx))
}

// Step is the id of this execution of the step: the prefix of its job ids
// (after "clickstream_") and its lease's step_id.
func (e *Engine) Step() string { return e.step }

// Close gives the lease back unless Apply has, and ends the session, which
// drops its temporary tables.
func (e *Engine) Close(ctx context.Context) error {
	var errs []error
	if !e.released && e.session != "" {
		if _, err := e.run(ctx, "release", releaseLease, models.Params{"step_id": e.step}); err != nil {
			errs = append(errs, fmt.Errorf("give the dimension lease back: %w", err))
		}
		e.released = true
	}
	if e.session != "" {
		if _, err := e.run(ctx, "end_session", "CALL BQ.ABORT_SESSION()", nil); err != nil {
			errs = append(errs, fmt.Errorf("end session: %w", err))
		}
		e.session = ""
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bigquery: close dimension step %s: %w", e.step, err)
	}
	return nil
}

// Load implements dimensions.Engine: CREATE TEMP TABLE, then INSERT the
// rows, every value a query parameter.
func (e *Engine) Load(ctx context.Context, name string, columns []dimensions.Column, rows [][]any) error {
	if err := checkNames(name); err != nil {
		return err
	}
	defs := make([]string, len(columns))
	names := make([]string, len(columns))
	for i, c := range columns {
		if err := checkNames(c.Name, c.Type); err != nil {
			return err
		}
		defs[i], names[i] = c.Name+" "+c.Type, c.Name
	}
	script := fmt.Sprintf("CREATE TEMP TABLE %s (%s);\n", name, strings.Join(defs, ", "))
	params := models.Params{}
	if len(rows) > 0 {
		tuples := make([]string, len(rows))
		for i, row := range rows {
			marks := make([]string, len(row))
			for j, v := range row {
				p := fmt.Sprintf("v%d_%d", i, j)
				marks[j] = "@" + p
				params[p] = loadValue(columns[j].Type, v)
			}
			tuples[i] = "(" + strings.Join(marks, ", ") + ")"
		}
		script += fmt.Sprintf("INSERT INTO %s (%s) VALUES\n%s;\n", name, strings.Join(names, ", "), strings.Join(tuples, ",\n"))
	}
	_, err := e.run(ctx, name, script, params)
	return err
}

// loadValue is a Load value as a query parameter: a DATE as models.Date,
// NULL as the column type's typed NULL.
func loadValue(typ string, v any) any {
	if v == nil {
		switch typ {
		case "DATE":
			return bigquery.NullDate{}
		case "INT64":
			return bigquery.NullInt64{}
		case "BOOL":
			return bigquery.NullBool{}
		}
		return bigquery.NullString{}
	}
	if t, ok := v.(time.Time); ok && typ == "DATE" {
		return models.DateOf(t)
	}
	return v
}

// Materialize implements dimensions.Engine: one script keeps the model's
// result as a temporary table of the session and counts it.
func (e *Engine) Materialize(ctx context.Context, name, query string, params models.Params) (int64, error) {
	if err := checkNames(name); err != nil {
		return 0, err
	}
	script := fmt.Sprintf("CREATE TEMP TABLE %s AS\n%s\n;\nSELECT COUNT(*) AS row_count FROM %s", name, query, name)
	rows, err := e.rows(ctx, name, script, params)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return 0, fmt.Errorf("%s: the count returned %d rows", name, len(rows))
	}
	n, ok := rows[0][0].(int64)
	if !ok {
		return 0, fmt.Errorf("%s: the count returned %T", name, rows[0][0])
	}
	return n, nil
}

// Empty implements dimensions.Engine: a dry run gives the model's columns
// without reading anything (and is not billed), then the temporary table
// is created with them.
func (e *Engine) Empty(ctx context.Context, name, query string, params models.Params) error {
	if err := checkNames(name); err != nil {
		return err
	}
	cfg, err := e.config(query, params)
	if err != nil {
		return err
	}
	cfg.DryRun = true
	q := e.opts.Runner.Client.Query(query)
	q.QueryConfig = *cfg
	// Not a job: a dry run creates none, so there is nothing to probe.
	job, err := q.Run(ctx)
	if err != nil {
		return fmt.Errorf("%s: dry run: %w", name, err)
	}
	stats, ok := job.LastStatus().Statistics.Details.(*bigquery.QueryStatistics)
	if !ok {
		return fmt.Errorf("%s: dry run gave no query statistics", name)
	}
	defs := make([]string, len(stats.Schema))
	for i, f := range stats.Schema {
		if f.Repeated || f.Type == bigquery.RecordFieldType {
			return fmt.Errorf("%s: column %s: only scalar columns are supported", name, f.Name)
		}
		defs[i] = f.Name + " " + typeName(f.Type)
	}
	_, err = e.run(ctx, name, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", name, strings.Join(defs, ", ")), nil)
	return err
}

// Query implements dimensions.Engine.
func (e *Engine) Query(ctx context.Context, name, query string, params models.Params) ([][]any, error) {
	return e.rows(ctx, name, query, params)
}

// Dates implements dimensions.Engine, from the dataset's
// INFORMATION_SCHEMA.PARTITIONS (billed at its 10 MB minimum, whatever the
// table's size): the partitions that hold rows.
func (e *Engine) Dates(ctx context.Context, table string) ([]time.Time, error) {
	query := fmt.Sprintf("SELECT partition_id FROM `%s.%s.INFORMATION_SCHEMA.PARTITIONS` WHERE table_name = @table_name AND total_rows > 0",
		e.project, e.opts.Dataset)
	rows, err := e.rows(ctx, "dates_"+table, query, models.Params{"table_name": table})
	if err != nil {
		return nil, err
	}
	var dates []time.Time
	for _, r := range rows {
		id, _ := r[0].(string)
		// Other ids (__NULL__, __UNPARTITIONED__ for rows still streaming)
		// are no date.
		if d, err := time.Parse("20060102", id); err == nil {
			dates = append(dates, d)
		}
	}
	slices.SortFunc(dates, time.Time.Compare)
	return dates, nil
}

// Apply implements dimensions.Engine: one multi-statement transaction
// checks that the step still holds the lease, writes every output with DML
// and gives the lease back; BigQuery commits all of it or none. A table
// keeps its schema, REQUIRED modes and descriptions (DML never changes
// them). Per output:
//
//   - ReplaceTable: DELETE every row, INSERT the source's;
//   - ReplacePartitions: DELETE the rows of the dates, INSERT the source's
//     rows of those dates;
//   - UpdateColumn: UPDATE the Set column of the rows whose Key matches a
//     source row, in the partitions the source names; no other column and
//     no other row is written, so a partition a streaming job appends to
//     is never truncated.
//
// The Updated figures (the partitions' rows and the rows changed) are
// counted just before the transaction. A transaction that a concurrent one
// aborts is run again whole by the JobRunner (ConcurrentUpdate).
func (e *Engine) Apply(ctx context.Context, outputs []dimensions.Output) ([]dimensions.Updated, error) {
	stmts := []string{"BEGIN TRANSACTION", checkLease}
	var updated []dimensions.Updated
	for _, o := range outputs {
		var s []string
		var err error
		switch o.Write {
		case dimensions.ReplaceTable:
			s, err = replaceTable(o)
		case dimensions.ReplacePartitions:
			s, err = replacePartitions(o)
		case dimensions.UpdateColumn:
			var u []dimensions.Updated
			u, s, err = e.updateColumn(ctx, o)
			updated = append(updated, u...)
		default:
			err = fmt.Errorf("unknown write %d", o.Write)
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", o.Table, err)
		}
		stmts = append(stmts, s...)
	}
	stmts = append(stmts, releaseLease, "COMMIT TRANSACTION")
	params := models.Params{"step_id": e.step, "lease_lost": fmt.Sprintf(
		"dimension step %s no longer holds the lease (another run took it over): it must not write", e.step)}
	res, err := e.run(ctx, "apply", strings.Join(stmts, ";\n")+";", params)
	if err != nil {
		return nil, err
	}
	e.released, e.applied = true, res
	return updated, nil
}

// Applied is the job whose transaction wrote the step's outputs (Apply),
// the job that wrote every table the step changed; nil before Apply
// succeeded.
func (e *Engine) Applied() *JobResult { return e.applied }

func replaceTable(o dimensions.Output) ([]string, error) {
	if err := checkNames(o.Table, o.Source); err != nil {
		return nil, err
	}
	cols, err := columnList(o.Table)
	if err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("DELETE FROM %s WHERE TRUE", o.Table),
		fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", o.Table, cols, cols, o.Source),
	}, nil
}

func replacePartitions(o dimensions.Output) ([]string, error) {
	if err := checkNames(o.Table, o.Source); err != nil {
		return nil, err
	}
	cols, err := columnList(o.Table)
	if err != nil {
		return nil, err
	}
	column := schemas.MustTable(o.Table).TimePartitioning.Field
	if column == "" {
		return nil, fmt.Errorf("%s is not partitioned", o.Table)
	}
	if len(o.Dates) == 0 {
		return nil, nil
	}
	in := dateList(o.Dates)
	return []string{
		fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)", o.Table, column, in),
		fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE %s IN (%s)", o.Table, cols, cols, o.Source, column, in),
	}, nil
}

// updateColumn counts what an UpdateColumn output changes per partition
// and returns its UPDATE, which names the partitions as literals: a table
// that requires a partition filter (fact_sessions) accepts no other.
func (e *Engine) updateColumn(ctx context.Context, o dimensions.Output) ([]dimensions.Updated, []string, error) {
	if len(o.Key) == 0 || checkNames(append([]string{o.Table, o.Source, o.Set}, o.Key...)...) != nil {
		return nil, nil, fmt.Errorf("bad key %v or column %q", o.Key, o.Set)
	}
	part := o.Key[0]
	rows, err := e.rows(ctx, "changed_"+o.Table, fmt.Sprintf("SELECT DISTINCT %s FROM %s", part, o.Source), nil)
	if err != nil {
		return nil, nil, err
	}
	var dates []time.Time
	for _, r := range rows {
		dates = append(dates, r[0].(time.Time))
	}
	if len(dates) == 0 {
		return nil, nil, nil
	}
	in := dateList(dates)
	match := make([]string, len(o.Key))
	for i, k := range o.Key {
		match[i] = fmt.Sprintf("t.%s = s.%s", k, k)
	}
	on := strings.Join(match, " AND ")
	counts, err := e.rows(ctx, "count_"+o.Table, fmt.Sprintf(
		"SELECT t.%s, COUNT(*) AS row_count, COUNT(s.%s) AS changed FROM %s AS t LEFT JOIN %s AS s ON %s WHERE t.%s IN (%s) GROUP BY t.%s",
		part, part, o.Table, o.Source, on, part, in, part), nil)
	if err != nil {
		return nil, nil, err
	}
	updated := make([]dimensions.Updated, len(counts))
	for i, c := range counts {
		updated[i] = dimensions.Updated{Table: o.Table, Date: c[0].(time.Time), Rows: c[1].(int64), Changed: c[2].(int64)}
	}
	return updated, []string{fmt.Sprintf("UPDATE %s AS t SET %s = s.%s FROM %s AS s WHERE t.%s IN (%s) AND %s",
		o.Table, o.Set, o.Set, o.Source, part, in, on)}, nil
}

// columnList is a table's columns, comma-separated.
func columnList(table string) (string, error) {
	for _, t := range schemas.Tables() {
		if t.Name != table {
			continue
		}
		names := make([]string, len(t.Schema))
		for i, c := range t.Schema {
			names[i] = c.Name
		}
		return strings.Join(names, ", "), nil
	}
	return "", fmt.Errorf("%s is not a table of schemas/tables", table)
}

// dateList is dates as DATE literals, comma-separated.
func dateList(dates []time.Time) string {
	lits := make([]string, len(dates))
	for i, d := range dates {
		lits[i] = "DATE '" + schemas.DateOf(d).Format(time.DateOnly) + "'"
	}
	return strings.Join(lits, ", ")
}

// The lease's SQL. A step takes the lease when nobody holds it, when its
// holder's time is up, or when its holder is a step of the same run (a
// retried step: the run's earlier execution died or will fail at its
// Apply); then it reads who holds it.
const (
	acquireLease = `BEGIN TRANSACTION;
DELETE FROM dimension_lease WHERE expires_at <= @now OR run_id = @run_id;
INSERT INTO dimension_lease (run_id, step_id, acquired_at, expires_at)
SELECT @run_id, @step_id, @now, @expires_at
FROM (SELECT 1 AS one) AS one
WHERE NOT EXISTS (SELECT 1 FROM dimension_lease);
COMMIT TRANSACTION;
SELECT run_id, step_id, acquired_at, expires_at FROM dimension_lease`

	// checkLease fails the transaction it opens unless the step still holds
	// the lease: a step whose lease was taken over must not write.
	checkLease = `SELECT CASE WHEN COUNT(*) = 1 THEN 1 ELSE ERROR(@lease_lost) END AS lease_held
FROM dimension_lease WHERE step_id = @step_id`

	releaseLease = "DELETE FROM dimension_lease WHERE step_id = @step_id"
)

// acquire takes the lease in the job that opens the step's session, and
// returns the lease's rows after.
func (e *Engine) acquire(ctx context.Context) ([]schemas.Lease, error) {
	now := e.opts.Now().UTC()
	params := models.Params{"now": now, "expires_at": now.Add(e.opts.LeaseTTL), "run_id": e.opts.RunID, "step_id": e.step}
	res, err := e.run(ctx, "lease", acquireLease, params)
	if err != nil {
		return nil, err
	}
	if info := res.Status.Statistics.SessionInfo; info != nil {
		e.session = info.SessionID
	}
	if e.session == "" {
		return nil, fmt.Errorf("job %s opened no session", res.ID)
	}
	rows, err := readRows(ctx, res)
	if err != nil {
		return nil, err
	}
	holders := make([]schemas.Lease, len(rows))
	for i, r := range rows {
		holders[i] = schemas.Lease{RunID: r[0].(string), StepID: r[1].(string), AcquiredAt: r[2].(time.Time), ExpiresAt: r[3].(time.Time)}
	}
	return holders, nil
}

// config is a query job of the step: in the dataset, in the session (the
// first job opens it), with the parameters query uses.
func (e *Engine) config(query string, params models.Params) (*bigquery.QueryConfig, error) {
	qp, err := queryParameters(query, params)
	if err != nil {
		return nil, err
	}
	cfg := &bigquery.QueryConfig{Q: query, DefaultProjectID: e.project, DefaultDatasetID: e.opts.Dataset, Parameters: qp}
	if e.session == "" {
		cfg.CreateSession = true
	} else {
		cfg.ConnectionProperties = []*bigquery.ConnectionProperty{{Key: "session_id", Value: e.session}}
	}
	return cfg, nil
}

// run runs one job of the step through the JobRunner. Its id is
// clickstream_<step>_<nn>_<what>: derived from the run, this execution of
// the step and the job's place in it.
func (e *Engine) run(ctx context.Context, what, query string, params models.Params) (*JobResult, error) {
	cfg, err := e.config(query, params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	e.jobs++
	res, err := e.opts.Runner.Run(ctx, safeJobID(fmt.Sprintf("clickstream_%s_%02d_%s", e.step, e.jobs, what)), cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// rows runs a query job and returns its rows.
func (e *Engine) rows(ctx context.Context, what, query string, params models.Params) ([][]any, error) {
	res, err := e.run(ctx, what, query, params)
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, res)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return rows, nil
}

// readRows reads a query job's rows as dimensions.Engine.Query returns
// them: NULL as nil, INT64 as int64, DATE and TIMESTAMP as time.Time in UTC.
func readRows(ctx context.Context, res *JobResult) ([][]any, error) {
	it, err := res.Job.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", res.ID, err)
	}
	var out [][]any
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read job %s: %w", res.ID, err)
		}
		vals := make([]any, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case civil.Date:
				vals[i] = v.In(time.UTC)
			case time.Time:
				vals[i] = v.UTC()
			default:
				vals[i] = v
			}
		}
		out = append(out, vals)
	}
}

// names are what the engine writes into SQL as identifiers: the models',
// the step's tables' and their columns' names.
var names = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkNames(list ...string) error {
	for _, n := range list {
		if !names.MatchString(n) {
			return fmt.Errorf("%q is not a plain SQL name", n)
		}
	}
	return nil
}

// MarkPending marks dates pending in state_dates, in one transaction, for a
// run that is about to replace their facts on BigQuery (the local warehouse
// marks them in the commit of the facts: duck.StagePending): the dimension
// step that processes them marks them built, and until then every step
// processes them. A run calls it once, with every date it owns: its job's
// base id is derived from the run alone, so that a retry finds the job of
// an earlier attempt.
func MarkPending(ctx context.Context, r *JobRunner, dataset, runID string, dates []time.Time) error {
	if len(dates) == 0 {
		return nil
	}
	script := "BEGIN TRANSACTION;\n" + strings.Join(PendingStatements(dates), ";\n") + ";\nCOMMIT TRANSACTION;"
	cfg := &bigquery.QueryConfig{Q: script, DefaultProjectID: r.Client.Project(), DefaultDatasetID: dataset,
		Parameters: []bigquery.QueryParameter{{Name: "run_id", Value: runID}}}
	if _, err := r.Run(ctx, safeJobID("clickstream_"+runID+"_state_dates_pending"), cfg); err != nil {
		return fmt.Errorf("bigquery: mark %d dates pending: %w", len(dates), err)
	}
	return nil
}

// PendingStatements are the DML statements (without semicolons) that mark
// dates pending in state_dates for the run given as the parameter @run_id,
// in the partitions of those dates: what MarkPending runs, for a caller
// that marks them in a transaction of its own (Transaction), as erasure
// does with the rows it deletes. dates must not be empty.
func PendingStatements(dates []time.Time) []string {
	tuples := make([]string, len(dates))
	for i, d := range dates {
		tuples[i] = fmt.Sprintf("(%s, '%s', @run_id)", dateList([]time.Time{d}), schemas.StatusPending)
	}
	return []string{
		fmt.Sprintf("DELETE FROM state_dates WHERE event_date IN (%s)", dateList(dates)),
		fmt.Sprintf("INSERT INTO state_dates (event_date, status, run_id) VALUES %s", strings.Join(tuples, ", ")),
	}
}
