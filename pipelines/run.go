package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/identity"
	"github.com/example/clickstream/transforms/pages"
	"github.com/example/clickstream/transforms/tally"
)

// Run runs the batch pipeline on the runner named by --runner (Prism by
// default), commits the warehouse partitions the run owns, runs the identity
// step (identity.Apply: rebuilds the dimensions and rewrites the
// fact_sessions partitions whose resolved_user_key changed, also those of
// earlier runs), reads the owned partitions back, and returns and stores the
// run summary. On Dataflow (c.Remote) it returns a nil summary once the
// job is submitted. A run that is not reconciled
// returns its summary and no error: the caller decides (main exits non-zero).
//
// On the local warehouse the run holds its staging for its whole life
// (warehouse.BeginRun), so it fails at once when a live run owns some of
// the same dates, and holds the warehouse's exclusive lock from the commit
// to the end of the dimension step (warehouse.Exclusive). It logs each
// phase: "run starting", "pipeline finished", "commit starting", "dimension
// step starting", "dimension step finished".
func Run(ctx context.Context, c Config) (*Summary, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	if err := warehouse.Recover(c.Output); err != nil {
		return nil, fmt.Errorf("recover warehouse %s: %w", c.Output, err)
	}
	if err := c.ensureTables(ctx); err != nil {
		return nil, err
	}
	started := time.Now()
	if c.Sink != SinkBigQuery {
		run, err := warehouse.BeginRun(c.Output, warehouse.RunInfo{RunID: c.RunID, Dates: c.Dates, Started: started})
		if err != nil {
			return nil, err
		}
		defer func() { _ = run.Close() }()
	}
	slog.Info("run starting", "run_id", c.RunID, "input", c.Input, "output", c.Output)

	p, s := beam.NewPipelineWithRoot()
	Build(s, c)
	if err := beamx.Run(ctx, p); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if c.Remote {
		return nil, nil // submitted to Dataflow; the job loads BigQuery itself
	}
	slog.Info("pipeline finished", "run_id", c.RunID)

	totals, err := tally.Read(ctx, c.tallyDir())
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(c.tallyDir()); err != nil {
		return nil, fmt.Errorf("remove tallies: %w", err)
	}
	if c.Sink == SinkBigQuery {
		// The pipeline loaded the partitions itself; the dimensions are
		// built by the local identity and pages steps only (see README).
		sum := newSummary(c, c.Dates, totals, totals[Loaded], started, time.Now())
		return sum, sum.Save(c.Output)
	}
	owned := c.Dates
	if len(owned) == 0 {
		if owned, err = stagedDates(c); err != nil {
			return nil, err
		}
	}
	var (
		id        identity.Result
		pageCount int
	)
	err = warehouse.Exclusive(c.Output, func() error {
		id, pageCount, err = c.commit(owned)
		return err
	})
	if err != nil {
		return nil, err
	}
	readBack := map[string]int64{}
	for _, table := range []string{"fact_events", "fact_sessions", "bot_events", "dead_letter"} {
		rows, err := warehouse.CountRows(c.Output, table, owned)
		if err != nil {
			return nil, fmt.Errorf("read back %s: %w", table, err)
		}
		for _, n := range rows {
			readBack[table] += n
		}
	}
	sum := newSummary(c, owned, totals, readBack, started, time.Now())
	sum.setDimensions(id, pageCount)
	if err := sum.Save(c.Output); err != nil {
		return sum, err
	}
	return sum, nil
}

// commit commits the run's staging and runs the dimension step, under the
// warehouse's exclusive lock: the step reads the committed warehouse and
// rewrites partitions, so no streaming file may be published in between.
func (c Config) commit(owned []time.Time) (identity.Result, int, error) {
	slog.Info("commit starting", "run_id", c.RunID, "dates", len(owned))
	if _, err := warehouse.Commit(c.Output, c.RunID, owned); err != nil {
		return identity.Result{}, 0, fmt.Errorf("commit warehouse: %w", err)
	}
	// Identity runs on the committed warehouse, after the commit: a login in
	// this run may resolve sessions that earlier runs wrote.
	slog.Info("dimension step starting", "run_id", c.RunID)
	id, err := identity.Apply(c.Output, c.RunID+"-identity", identity.Options{StitchWindow: c.StitchWindow})
	if err != nil {
		return identity.Result{}, 0, err
	}
	pageTypes, err := c.pageTypes()
	if err != nil {
		return identity.Result{}, 0, err
	}
	pageCount, err := pages.Apply(c.Output, c.RunID+"-pages", pageTypes)
	if err != nil {
		return identity.Result{}, 0, err
	}
	slog.Info("dimension step finished", "run_id", c.RunID)
	return id, pageCount, nil
}

// stagedDates is every partition date the run staged, in any table: by
// default a run owns every date in its input.
func stagedDates(c Config) ([]time.Time, error) {
	seen := map[time.Time]bool{}
	for _, t := range schemas.Tables() {
		dates, err := warehouse.StagedDates(c.Output, c.RunID, t.Name)
		if err != nil {
			return nil, err
		}
		for _, d := range dates {
			seen[d] = true
		}
	}
	var out []time.Time
	for d := range seen {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out, nil
}
