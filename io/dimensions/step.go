package dimensions

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// DefaultStitchWindow is how long before a device's first login its
// anonymous sessions resolve to the user who logs in (--stitch_window).
const DefaultStitchWindow = 7 * 24 * time.Hour

// Options configure a step.
type Options struct {
	// RunID names the run in state_dates.
	RunID string
	// Dates are the event dates whose facts the run replaced; the step also
	// processes every date still pending from an earlier run.
	Dates []time.Time
	// Rebuild recomputes the state of every date and every dimension row
	// from the facts, and resolves every session again.
	Rebuild bool
	// StitchWindow is resolution rule 3's window; 0 means
	// DefaultStitchWindow.
	StitchWindow time.Duration
	// PageTypes are the page-type rules, in order: the first whose pattern
	// matches a page's path gives its type.
	PageTypes []schemas.PageTypeRule
}

// Result is what a step did.
type Result struct {
	// Dates are the event dates it processed, ascending: the run's and the
	// pending ones (with Rebuild, every date with facts or state).
	Dates []time.Time
	// Touched are the devices whose rows it brought up to date; Recomputed
	// those it recomputed from all their state rows (the others were
	// appended to).
	Touched, Recomputed int64
	// DeviceUsers, Devices, Users and Pages are the rows of the new
	// dimensions.
	DeviceUsers, Devices, Users, Pages int64
	// Conditional name the models it ran that read more than its dates'
	// facts and state and the dimensions once: whole state tables (for
	// recomputed devices and users, removed pages, tied first periods), or
	// dim_devices again for a backfill. None in the daily case.
	Conditional []string
	// SessionsFrom and SessionsTo bound the fact_sessions partitions it read
	// to resolve sessions again (zero when none).
	SessionsFrom, SessionsTo time.Time
	// Rewritten are the fact_sessions partitions in which some
	// resolved_user_key changed, ascending.
	Rewritten []Updated
}

// Models returns the models of sql/models in the order a step runs them,
// as sql/models/step.json declares it; each is run, or created empty when
// the step knows its result is empty (see Result.Conditional). A model reads
// the tables the step loads first (models.Inputs: step_dates and
// page_type_rules, see Engine.Load) and the results of the models before
// it.
func Models() []string { return models.Order() }

// Run runs one dimension step on e: it rebuilds the state of its dates
// from their facts, brings the dimensions up to date (appending to the
// devices and users that only gained later dates, recomputing from their
// state those whose history changed), resolves again the sessions whose
// resolution may have changed, and stores all of it in one atomic write,
// marking its dates built. A step that fails stores nothing, and its dates
// stay pending for the next one.
func Run(ctx context.Context, e Engine, opts Options) (Result, error) {
	s := &step{e: e, opts: opts, params: models.Params{
		"rebuild":              opts.Rebuild,
		"run_id":               opts.RunID,
		"stitch_window_micros": stitchWindow(opts).Microseconds(),
	}}
	if err := s.run(ctx); err != nil {
		return s.res, fmt.Errorf("dimensions: %w", err)
	}
	return s.res, nil
}

// Pending returns the state_dates rows that mark dates pending: a run that
// replaces the facts of dates writes them together with the facts (on the
// local warehouse in the same commit), and the step that processes them
// marks them built.
func Pending(runID string, dates []time.Time) []schemas.StateDate {
	rows := make([]schemas.StateDate, len(dates))
	for i, d := range dates {
		rows[i] = schemas.StateDate{EventDate: schemas.DateOf(d), Status: schemas.StatusPending, RunID: runID}
	}
	return rows
}

func stitchWindow(opts Options) time.Duration {
	if opts.StitchWindow == 0 {
		return DefaultStitchWindow
	}
	return opts.StitchWindow
}

type step struct {
	e      Engine
	opts   Options
	params models.Params
	res    Result
}

func (s *step) run(ctx context.Context) error {
	dates, err := s.dates(ctx)
	if err != nil {
		return err
	}
	s.res.Dates = dates
	if err := s.load(ctx, dates); err != nil {
		return err
	}
	for _, m := range []string{
		"new_device_days", "new_device_user_runs", "new_page_days", "new_user_days",
		"old_device_days", "old_device_user_runs", "old_page_days", "old_user_days",
	} {
		if _, err := s.materialize(ctx, m); err != nil {
			return err
		}
	}
	later, err := s.row(ctx, "later_dates")
	if err != nil {
		return err
	}
	if err := s.conditional(ctx, "backfilled_devices", later[0].(int64) > 0); err != nil {
		return err
	}
	for _, m := range []string{"touched_devices", "old_bridge", "touched_users", "removed_pages"} {
		if _, err := s.materialize(ctx, m); err != nil {
			return err
		}
	}
	counts, err := s.row(ctx, "step_counts")
	if err != nil {
		return err
	}
	s.res.Touched, s.res.Recomputed = counts[0].(int64), counts[1].(int64)
	recomputeUsers, removedPages, replacedUserDays := counts[2].(int64), counts[3].(int64), counts[4].(int64)
	if err := s.conditional(ctx, "recompute_device_days", s.res.Recomputed > 0); err != nil {
		return err
	}
	if err := s.conditional(ctx, "recompute_runs", s.res.Recomputed+recomputeUsers > 0); err != nil {
		return err
	}
	if err := s.conditional(ctx, "surviving_pages", removedPages > 0); err != nil {
		return err
	}
	for _, m := range []string{"recompute_user_days", "recompute_user_currencies"} {
		if err := s.conditional(ctx, m, replacedUserDays > 0); err != nil {
			return err
		}
	}
	for _, m := range []struct {
		name string
		rows *int64
	}{
		{"new_bridge", nil},
		{"user_totals", nil},
		{"new_dim_device_users", &s.res.DeviceUsers},
		{"new_dim_devices", &s.res.Devices},
		{"new_dim_users", &s.res.Users},
		{"new_dim_pages", &s.res.Pages},
		{"bridge_changes", nil},
		{"new_state_dates", nil},
	} {
		n, err := s.materialize(ctx, m.name)
		if err != nil {
			return err
		}
		if m.rows != nil {
			*m.rows = n
		}
	}
	if err := s.resolve(ctx, dates); err != nil {
		return err
	}
	updated, err := s.e.Apply(ctx, s.outputs(dates))
	if err != nil {
		return err
	}
	for _, u := range updated {
		if u.Changed > 0 {
			s.res.Rewritten = append(s.res.Rewritten, u)
		}
	}
	slices.SortFunc(s.res.Rewritten, func(a, b Updated) int { return a.Date.Compare(b.Date) })
	return nil
}

// dates returns the dates the step processes: the run's and the pending
// ones; with Rebuild also every date that has facts or state.
func (s *step) dates(ctx context.Context) ([]time.Time, error) {
	seen := map[time.Time]bool{}
	for _, d := range s.opts.Dates {
		seen[schemas.DateOf(d)] = true
	}
	pending, err := s.e.Query(ctx, "pending_dates", models.Text("pending_dates"), nil)
	if err != nil {
		return nil, fmt.Errorf("pending_dates: %w", err)
	}
	for _, r := range pending {
		seen[r[0].(time.Time)] = true
	}
	if s.opts.Rebuild {
		for _, table := range []string{"fact_events", "state_dates"} {
			dates, err := s.e.Dates(ctx, table)
			if err != nil {
				return nil, err
			}
			for _, d := range dates {
				seen[d] = true
			}
		}
	}
	dates := make([]time.Time, 0, len(seen))
	for d := range seen {
		dates = append(dates, d)
	}
	slices.SortFunc(dates, time.Time.Compare)
	return dates, nil
}

// load creates the step's inputs that are not tables, as sql/models
// declares them (models.Inputs): its dates and the page-type rules.
func (s *step) load(ctx context.Context, dates []time.Time) error {
	days := make([]map[string]any, len(dates))
	for i, d := range dates {
		days[i] = map[string]any{"event_date": d}
	}
	if err := s.loadInput(ctx, "step_dates", days); err != nil {
		return err
	}
	// With no dates the bounds only need to be valid: step_dates is empty.
	first, last := time.Unix(0, 0).UTC(), time.Unix(0, 0).UTC()
	if len(dates) > 0 {
		first, last = dates[0], dates[len(dates)-1]
	}
	s.params["first_date"], s.params["last_date"] = models.DateOf(first), models.DateOf(last)
	// The days before them, for user_totals (the SQL has no portable date
	// arithmetic).
	s.params["eve_first_date"], s.params["eve_last_date"] = models.DateOf(first.AddDate(0, 0, -1)), models.DateOf(last.AddDate(0, 0, -1))

	rules := make([]map[string]any, len(s.opts.PageTypes))
	for i, r := range s.opts.PageTypes {
		rules[i] = map[string]any{"rule_order": int64(i + 1), "page_type": r.Type, "pattern": r.Pattern}
	}
	return s.loadInput(ctx, "page_type_rules", rules)
}

// loadInput loads the declared input name with rows given by column name.
func (s *step) loadInput(ctx context.Context, name string, rows []map[string]any) error {
	in := models.InputNamed(name)
	columns := make([]Column, len(in.Columns))
	for i, c := range in.Columns {
		columns[i] = Column{Name: c.Name, Type: c.Type}
	}
	values := make([][]any, len(rows))
	for i, r := range rows {
		values[i] = make([]any, len(columns))
		for j, c := range columns {
			v, ok := r[c.Name]
			if !ok {
				return fmt.Errorf("%s: no value for column %s", name, c.Name)
			}
			values[i][j] = v
		}
	}
	if err := s.e.Load(ctx, name, columns, values); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (s *step) materialize(ctx context.Context, model string) (int64, error) {
	n, err := s.e.Materialize(ctx, model, models.Text(model), s.params)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", model, err)
	}
	return n, nil
}

// conditional runs a model when needed is true, and otherwise creates its
// result empty without reading anything.
func (s *step) conditional(ctx context.Context, model string, needed bool) error {
	if !needed {
		if err := s.e.Empty(ctx, model, models.Text(model), s.params); err != nil {
			return fmt.Errorf("%s: %w", model, err)
		}
		return nil
	}
	s.res.Conditional = append(s.res.Conditional, model)
	_, err := s.materialize(ctx, model)
	return err
}

// row runs a model that returns one row.
func (s *step) row(ctx context.Context, model string) ([]any, error) {
	rows, err := s.e.Query(ctx, model, models.Text(model), s.params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", model, err)
	}
	if len(rows) != 1 {
		return nil, fmt.Errorf("%s: %d rows, want 1", model, len(rows))
	}
	return rows[0], nil
}

// resolve finds the sessions whose resolved_user_key changes: every session
// of the step's dates, and those of the devices whose bridge changed in the
// span bridge_changes gives. Only the fact_sessions partitions that span
// covers are read.
func (s *step) resolve(ctx context.Context, dates []time.Time) error {
	span, err := s.row(ctx, "session_span")
	if err != nil {
		return err
	}
	var from, to time.Time
	if len(dates) > 0 {
		from, to = dates[0], dates[len(dates)-1]
	}
	if span[0].(int64) > 0 {
		if d := schemas.DateOf(time.UnixMicro(span[1].(int64))); from.IsZero() || d.Before(from) {
			from = d
		}
		last := to
		if span[2].(int64) > 0 {
			sessions, err := s.e.Dates(ctx, "fact_sessions")
			if err != nil {
				return err
			}
			if len(sessions) > 0 {
				last = sessions[len(sessions)-1]
			}
		} else {
			// resolve_to is exclusive: its date is the last partition that
			// may hold a session starting before it.
			last = schemas.DateOf(time.UnixMicro(span[3].(int64)))
		}
		if to.IsZero() || last.After(to) {
			to = last
		}
	}
	s.res.SessionsFrom, s.res.SessionsTo = from, to
	s.params["sessions_from"], s.params["sessions_to"] = models.DateOf(from), models.DateOf(to)
	if from.IsZero() {
		for _, m := range []string{"sessions_to_resolve", "tied_devices", "first_periods", "resolved_sessions"} {
			if err := s.e.Empty(ctx, m, models.Text(m), s.params); err != nil {
				return fmt.Errorf("%s: %w", m, err)
			}
		}
		return nil
	}
	if _, err := s.materialize(ctx, "sessions_to_resolve"); err != nil {
		return err
	}
	tied, err := s.materialize(ctx, "tied_devices")
	if err != nil {
		return err
	}
	if err := s.conditional(ctx, "first_periods", tied > 0); err != nil {
		return err
	}
	_, err = s.materialize(ctx, "resolved_sessions")
	return err
}

// outputs are what the step writes, in one atomic Apply.
func (s *step) outputs(dates []time.Time) []Output {
	partitions := func(table, source string) Output {
		return Output{Table: table, Source: source, Write: ReplacePartitions, Dates: dates}
	}
	whole := func(table, source string) Output {
		return Output{Table: table, Source: source, Write: ReplaceTable}
	}
	return []Output{
		// First: the local engine stages each output while it reads the
		// next, and this one is the longest to stage (a rewrite of the
		// partitions it changes).
		{
			Table: "fact_sessions", Source: "resolved_sessions", Write: UpdateColumn,
			Key: []string{"session_date", "session_id", "version"}, Set: "resolved_user_key",
		},
		partitions("state_device_days", "new_device_days"),
		partitions("state_device_user_runs", "new_device_user_runs"),
		partitions("state_page_days", "new_page_days"),
		partitions("state_user_days", "new_user_days"),
		partitions("state_dates", "new_state_dates"),
		whole("dim_device_users", "new_dim_device_users"),
		whole("dim_devices", "new_dim_devices"),
		whole("dim_users", "new_dim_users"),
		whole("dim_pages", "new_dim_pages"),
	}
}
