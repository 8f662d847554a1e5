package pipelines

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

// Run runs the batch pipeline on the runner named by --runner (Prism by
// default). On the local warehouse it then commits the partitions the run
// owns in the tables the pipeline writes, marking their dates pending for
// the dimension step; runs the dimension step (io/dimensions: the SQL models
// of sql/models on DuckDB), which brings the state and the dimensions up to
// date and rewrites the fact_sessions partitions, of this run or earlier
// ones, whose resolved_user_key changes; reads back every partition it wrote;
// decides the verdict; and writes the run's own account (runs,
// run_outcomes, run_partitions) into the warehouse. With the BigQuery sink
// the job does all of that itself (bigquery.Pending before the loads, then
// finishBigQuery after them), and Run returns the summary its last stage
// saved. It stores the run summary under <output>/_runs. On Dataflow
// (c.Remote) it returns a nil summary once the job is submitted. A run that
// is not reconciled returns its summary and no error: the caller decides
// (main exits non-zero). A dimension step that fails makes the run not
// reconciled, and its dates stay pending for the next run's step.
//
// The page-type rules (--page_types_file) are read and checked before
// anything else. On the local warehouse the run holds its staging for its
// whole life (warehouse.BeginRun), so it fails at once when a live run owns
// some of the same dates, and holds the warehouse's exclusive lock from the
// commit to its account (warehouse.Exclusive). It logs each phase: "run
// starting", "pipeline finished", "commit starting", "dimension step
// starting", "dimension step finished".
func Run(ctx context.Context, c Config) (*Summary, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	rules, err := c.pageTypes()
	if err != nil {
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
	if c.Remote {
		if err := beamx.Run(ctx, p); err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		return nil, nil // submitted to Dataflow; the job loads BigQuery itself
	}
	prog, err := c.newProgress(ctx)
	if err != nil {
		return nil, err
	}
	stop := startProgress(ctx, prog, c.ProgressInterval)
	defer stop()
	if err := c.runPipeline(ctx, p, prog); err != nil {
		return nil, err
	}
	slog.Info("pipeline finished", "run_id", c.RunID)
	if c.Sink == SinkBigQuery {
		// The job's last stage decided the verdict, wrote the account to
		// BigQuery and saved the summary here (finishBigQuery); the
		// driver adds the time the job took.
		sum, err := LoadSummary(c.Output, c.RunID)
		if err != nil {
			return nil, err
		}
		sum.Stages = prog.end()
		return sum, sum.Save(c.Output)
	}

	totals, err := tally.Read(ctx, c.tallyDir())
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(c.tallyDir()); err != nil {
		return nil, fmt.Errorf("remove tallies: %w", err)
	}
	owned := c.Dates
	if len(owned) == 0 {
		if owned, err = stagedDates(c); err != nil {
			return nil, err
		}
	}
	var sum *Summary
	err = warehouse.Exclusive(c.Output, func() error {
		sum, err = c.commit(ctx, owned, totals, rules, started, prog)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := sum.Save(c.Output); err != nil {
		return sum, err
	}
	return sum, nil
}

// factTables are the tables a batch run's commit replaces for the dates it
// owns: what the pipeline writes, reconciliation (streaming's per-minute
// rows of those dates, which the run's rows supersede) and state_dates
// (the dates marked pending for the dimension step).
var factTables = []string{"fact_events", "fact_sessions", "bot_events", "dead_letter", "reconciliation", "state_dates"}

// countedTables are the tables whose rows the pipeline counts per partition
// (partitionTally).
var countedTables = []string{"fact_events", "fact_sessions", "bot_events", "dead_letter"}

// commit commits the run's staging, runs the dimension step, reads back
// what they wrote, decides the verdict and writes the run's account, under
// the warehouse's exclusive lock: the step reads the committed warehouse and
// rewrites partitions, so no streaming file may be published in between,
// and the account's partition is read and replaced by one run at a time.
func (c Config) commit(ctx context.Context, owned []time.Time, totals schemas.TallyTotals, rules []dimensions.PageType, started time.Time, prog *progress) (*Summary, error) {
	slog.Info("commit starting", "run_id", c.RunID, "dates", len(owned))
	prog.begin(phaseCommit, fmt.Sprintf("publishing the staged partitions of %d date(s) in %d tables", len(owned), len(factTables)), nil)
	// Streaming's per-minute rows of the owned dates, which the commit
	// removes: the account names them.
	streamed, err := warehouse.Dates(c.Output, "reconciliation")
	if err != nil {
		return nil, err
	}
	streamed = slices.DeleteFunc(streamed, func(d time.Time) bool { return !slices.ContainsFunc(owned, d.Equal) })
	if err := warehouse.Stage(c.Output, c.RunID, "state_dates", dimensions.Pending(c.RunID, owned)); err != nil {
		return nil, fmt.Errorf("mark dates pending: %w", err)
	}
	scope := warehouse.Scope{}
	for _, t := range factTables {
		scope[t] = owned
	}
	if _, err := warehouse.CommitScope(c.Output, c.RunID, scope); err != nil {
		return nil, fmt.Errorf("commit warehouse: %w", err)
	}
	// The step runs on the committed warehouse, after the commit: a login
	// in this run may resolve sessions that earlier runs wrote.
	slog.Info("dimension step starting", "run_id", c.RunID)
	prog.begin(phaseDimensions, fmt.Sprintf("bringing the state and dimensions up to date for %d date(s) and resolving sessions to users", len(owned)), nil)
	res, stepErr := dimensionStep(ctx, c.Output, c.RunID+"-dimensions", dimensions.Options{
		RunID: c.RunID, Dates: owned, Rebuild: c.RebuildDimensions, StitchWindow: c.StitchWindow, PageTypes: rules,
	})
	if stepErr != nil {
		slog.Error("dimension step failed: its dates stay pending", "run_id", c.RunID, "err", stepErr)
	} else {
		slog.Info("dimension step finished", "run_id", c.RunID)
	}

	prog.begin(phaseReadBack, "counting the rows of every partition the run wrote", nil)
	parts, err := c.readBack(owned, streamed, totals, res, stepErr == nil)
	if err != nil {
		return nil, err
	}
	prog.begin(phaseAccount, "writing runs, run_outcomes and run_partitions", nil)
	sum := newSummary(c, owned, totals, nil, started, time.Now())
	if stepErr != nil {
		sum.DimensionStepError = stepErr.Error()
	} else {
		sum.setDimensions(res)
	}
	sum.setPartitions(parts)
	if err := newAccount(c, sum, owned).write(c.Output, c.RunID+"-account"); err != nil {
		return nil, err
	}
	sum.Stages = prog.end()
	return sum, nil
}

// readBack reads back every partition the run wrote (plannedPartitions)
// from the local warehouse.
func (c Config) readBack(owned, streamed []time.Time, totals schemas.TallyTotals, res dimensions.Result, stepDone bool) ([]PartitionCheck, error) {
	parts, err := plannedPartitions(owned, streamed, totals, res, stepDone)
	if err != nil {
		return nil, err
	}
	for i := range parts {
		p := &parts[i]
		var dates []time.Time // an unpartitioned table is counted whole
		if !p.Date.IsZero() {
			dates = []time.Time{p.Date}
		}
		rows, err := warehouse.CountRows(c.Output, p.Table, dates)
		if err != nil {
			return nil, fmt.Errorf("read back %s: %w", p.Table, err)
		}
		p.ReadBack = rows[p.Date]
		p.settle()
	}
	return parts, nil
}

// plannedPartitions lists every partition a run wrote, for either sink to
// read back: the owned partitions of the counted tables, with the rows
// counted for each, and the reconciliation partitions of streamed dates it
// emptied (counted 0: a batch run writes none); then, after a dimension
// step that succeeded, the fact_sessions partitions it rewrote, the state
// partitions of its dates and the dimensions, or, when it failed, the
// state_dates partitions that keep the owned dates pending (Status
// PartitionPending; the others' Status is left for settle).
func plannedPartitions(owned, streamed []time.Time, totals schemas.TallyTotals, res dimensions.Result, stepDone bool) ([]PartitionCheck, error) {
	var parts []PartitionCheck
	add := func(table string, dates []time.Time, counted map[time.Time]int64, status string) {
		for _, d := range dates {
			if slices.ContainsFunc(parts, func(p PartitionCheck) bool { return p.Table == table && p.Date.Equal(d) }) {
				continue // an owned partition the step rewrote: counted
			}
			p := PartitionCheck{Table: table, Date: d, Status: status}
			if counted != nil {
				n := counted[d]
				p.Counted = &n
			}
			parts = append(parts, p)
		}
	}
	for _, table := range countedTables {
		counted, err := countedByDate(totals, table)
		if err != nil {
			return nil, err
		}
		add(table, owned, counted, "")
	}
	add("reconciliation", streamed, map[time.Time]int64{}, "")
	if stepDone {
		var rewritten []time.Time
		for _, r := range res.Rewritten {
			rewritten = append(rewritten, r.Date)
		}
		add("fact_sessions", rewritten, nil, "")
		for _, table := range stateTables {
			add(table, res.Dates, nil, "")
		}
		for _, table := range dimensionTables {
			add(table, []time.Time{{}}, nil, "")
		}
	} else {
		add("state_dates", owned, nil, schemas.PartitionPending)
	}
	return parts, nil
}

// The tables the dimension step writes: the state, partitioned by event
// date, and the dimensions, unpartitioned.
var (
	stateTables     = []string{"state_dates", "state_device_days", "state_device_user_runs", "state_page_days"}
	dimensionTables = []string{"dim_device_users", "dim_devices", "dim_users", "dim_pages"}
)

// partitionTally is the name of the tally that counts table's rows by
// partition date (tally.CountByDate).
func partitionTally(table string) string { return "partition_rows_" + table }

// countedByDate is what the pipeline counted for each partition of table.
func countedByDate(totals schemas.TallyTotals, table string) (map[time.Time]int64, error) {
	counted := map[time.Time]int64{}
	for key, n := range totals[partitionTally(table)] {
		d, err := time.Parse(time.DateOnly, key)
		if err != nil {
			return nil, fmt.Errorf("tally %s: %w", partitionTally(table), err)
		}
		counted[d] = n
	}
	return counted, nil
}

// newProgress is the run's progress reporter: it writes to c.Progress
// (stderr by default) when c.ProgressInterval is set, and times the stages
// either way.
func (c Config) newProgress(ctx context.Context) (*progress, error) {
	out := c.Progress
	switch {
	case c.ProgressInterval <= 0:
		out = io.Discard
	case out == nil:
		out = os.Stderr
	}
	files, err := countFiles(ctx, c.Input)
	if err != nil {
		return nil, err
	}
	return newProgress(out, time.Now, files), nil
}

// runPipeline runs the job as the progress reporter's pipeline stage,
// polling the local runner for its counters when progress is printed.
func (c Config) runPipeline(ctx context.Context, p *beam.Pipeline, prog *progress) error {
	var source progressSource
	if c.ProgressInterval > 0 {
		jobs, err := newPrismJobs(ctx)
		if err != nil {
			return err
		}
		if jobs != nil {
			defer jobs.close()
			source = jobs.poll
		}
	}
	prog.begin(phasePipeline, fmt.Sprintf("reading %d file(s), then per device, then writing", prog.files), source)
	if err := beamx.Run(ctx, p); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}

// countFiles is how many files the globs match.
func countFiles(ctx context.Context, globs []string) (int, error) {
	n := 0
	for _, g := range globs {
		fs, err := filesystem.New(ctx, g)
		if err != nil {
			return 0, fmt.Errorf("input %s: %w", g, err)
		}
		matched, err := fs.List(ctx, g)
		_ = fs.Close()
		if err != nil {
			return 0, fmt.Errorf("input %s: %w", g, err)
		}
		n += len(matched)
	}
	return n, nil
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
