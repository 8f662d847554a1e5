package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// The queries the report runs, as paths in the sql directory: the report's
// own (sql/report: the run's account, the hourly traffic and the
// countries) and two
// analyses of sql/.
var (
	queryRun        = filepath.Join("report", "run.sql")
	queryOutcomes   = filepath.Join("report", "run_outcomes.sql")
	queryPartitions = filepath.Join("report", "run_partitions.sql")
	queryHourly     = filepath.Join("report", "hourly_sessions.sql")
	queryCountries  = filepath.Join("report", "sessions_by_country.sql")
	queryFunnel     = "daily_funnel.sql"
	queryLanding    = "landing_pages.sql"
)

// report is what a run's report shows: the run's account and the results
// of the queries over the dates it owns. The fact queries' results are nil
// when the run owns no dates.
type report struct {
	Run        runInfo
	Outcomes   *warehousesql.Result // report/run_outcomes.sql
	Partitions *warehousesql.Result // report/run_partitions.sql
	Funnel     *warehousesql.Result // daily_funnel.sql
	Hourly     *warehousesql.Result // report/hourly_sessions.sql
	Landing    *warehousesql.Result // landing_pages.sql
	Countries  *warehousesql.Result // report/sessions_by_country.sql
}

// runInfo is the run's row of report/run.sql.
type runInfo struct {
	ID, Mode, Sink, DatesOwned string
	First, Last                time.Time // zero when the run owns no dates
	Started, Finished          time.Time
	InputRecords, Events       int64
	Duplicates, Bots           int64
	DeadLetter, OutOfRange     int64
	Unwritable, Erased         int64
	Sessions                   int64
	Reconciled                 bool
	Problems                   []string
}

// ownsDates reports whether the run owns event dates, so has facts to show.
func (r runInfo) ownsDates() bool { return !r.First.IsZero() && !r.Last.IsZero() }

// gather runs the report's queries in sqlDir for runID ("" for the latest
// run).
func gather(ctx context.Context, w *warehousesql.Warehouse, sqlDir, runID string) (*report, error) {
	q := func(name string, p warehousesql.Params) (*warehousesql.Result, error) {
		return w.RunFile(ctx, filepath.Join(sqlDir, name), p)
	}
	res, err := q(queryRun, warehousesql.Params{"run_id": runID})
	if err != nil {
		return nil, err
	}
	if len(res.Rows) == 0 {
		if runID == "" {
			return nil, fmt.Errorf("the warehouse %s has no runs (runs is written by a local batch run)", w.Dir())
		}
		return nil, fmt.Errorf("the warehouse %s has no run %q", w.Dir(), runID)
	}
	r := &report{}
	if r.Run, err = readRun(res); err != nil {
		return nil, fmt.Errorf("%s: %w", queryRun, err)
	}
	byRun := warehousesql.Params{"run_id": r.Run.ID}
	if r.Outcomes, err = q(queryOutcomes, byRun); err != nil {
		return nil, err
	}
	if r.Partitions, err = q(queryPartitions, byRun); err != nil {
		return nil, err
	}
	if !r.Run.ownsDates() {
		return r, nil
	}
	dates := warehousesql.Params{"start_date": models.DateOf(r.Run.First), "end_date": models.DateOf(r.Run.Last)}
	for _, f := range []struct {
		name string
		dst  **warehousesql.Result
	}{{queryFunnel, &r.Funnel}, {queryHourly, &r.Hourly}, {queryLanding, &r.Landing}, {queryCountries, &r.Countries}} {
		if *f.dst, err = q(f.name, dates); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// readRun reads the first row of report/run.sql.
func readRun(res *warehousesql.Result) (runInfo, error) {
	c := &cells{res: res, row: res.Rows[0]}
	info := runInfo{
		ID: get[string](c, "run_id"), Mode: get[string](c, "mode"), Sink: get[string](c, "sink"),
		DatesOwned: get[string](c, "dates_owned"),
		First:      get[time.Time](c, "first_date"), Last: get[time.Time](c, "last_date"),
		Started: get[time.Time](c, "started"), Finished: get[time.Time](c, "finished"),
		InputRecords: get[int64](c, "input_records"), Events: get[int64](c, "events"),
		Duplicates: get[int64](c, "duplicates"), Bots: get[int64](c, "bots"),
		DeadLetter: get[int64](c, "dead_letter"), OutOfRange: get[int64](c, "out_of_range"),
		Unwritable: get[int64](c, "unwritable"), Erased: get[int64](c, "erased"),
		Sessions:   get[int64](c, "sessions"),
		Reconciled: get[bool](c, "reconciled"),
	}
	for _, p := range get[[]any](c, "problems") {
		s, ok := p.(string)
		if !ok {
			c.fail(fmt.Errorf("problems: element %T, want a string", p))
		}
		info.Problems = append(info.Problems, s)
	}
	return info, c.err
}

// cells reads one row of a result by column name, remembering the first
// column that is missing or of another type than the report expects.
type cells struct {
	res *warehousesql.Result
	row []any
	err error
}

func (c *cells) fail(err error) {
	c.err = errors.Join(c.err, err)
}

// get is the row's value of column name (the zero value for NULL).
func get[T any](c *cells, name string) T {
	var zero T
	i := c.res.Column(name)
	if i < 0 {
		c.fail(fmt.Errorf("no column %s", name))
		return zero
	}
	if c.row[i] == nil {
		return zero
	}
	v, ok := c.row[i].(T)
	if !ok {
		c.fail(fmt.Errorf("column %s: %T, want %T", name, c.row[i], zero))
	}
	return v
}
