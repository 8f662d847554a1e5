package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// factTables are the tables a batch run's commit replaces for the dates it
// owns: what the pipeline writes, reconciliation (streaming's per-minute
// rows of those dates, which the run's rows supersede) and state_dates
// (the dates marked pending for the dimension step).
var factTables = []string{"fact_events", "fact_sessions", "bot_events", "dead_letter", "reconciliation", "state_dates"}

// countedTables are the tables whose rows the pipeline counts per partition
// (partitionTally).
var countedTables = []string{"fact_events", "fact_sessions", "bot_events", "dead_letter"}

// commit commits the run's staging, runs the dimension step, reads back
// what they wrote, decides the verdict (the run's summary, written.job) and
// writes the run's account, under the warehouse's exclusive lock: the step
// reads the committed warehouse and rewrites partitions, so no streaming
// file may be published in between, and the account's partition is read
// and replaced by one run at a time.
func (c Config) commit(ctx context.Context, owned []time.Time, totals schemas.TallyTotals, started time.Time, prog *progress) (written, error) {
	slog.Info("commit starting", "run_id", c.RunID, "dates", len(owned))
	prog.begin(phaseCommit, fmt.Sprintf("publishing the staged partitions of %d date(s) in %d tables", len(owned), len(factTables)), nil)
	// Streaming's per-minute rows of the owned dates, which the commit
	// removes: the account names them.
	streamed, err := warehouse.Dates(c.Output, "reconciliation")
	if err != nil {
		return written{}, err
	}
	streamed = slices.DeleteFunc(streamed, func(d time.Time) bool { return !slices.ContainsFunc(owned, d.Equal) })
	if err := warehouse.Stage(c.Output, c.RunID, "state_dates", dimensions.Pending(c.RunID, owned)); err != nil {
		return written{}, fmt.Errorf("mark dates pending: %w", err)
	}
	scope := warehouse.Scope{}
	for _, t := range factTables {
		scope[t] = owned
	}
	if _, err := warehouse.CommitScope(c.Output, c.RunID, scope); err != nil {
		return written{}, fmt.Errorf("commit warehouse: %w", err)
	}
	// The step runs on the committed warehouse, after the commit: a login
	// in this run may resolve sessions that earlier runs wrote.
	slog.Info("dimension step starting", "run_id", c.RunID)
	prog.begin(phaseDimensions, fmt.Sprintf("bringing the state and dimensions up to date for %d date(s) and resolving sessions to users", len(owned)), nil)
	res, stepErr := dimensionStep(ctx, c.Output, c.RunID+"-dimensions", dimensions.Options{
		RunID: c.RunID, Dates: owned, Rebuild: c.RebuildDimensions, StitchWindow: c.StitchWindow, PageTypes: c.pageRules,
	})
	if stepErr != nil {
		slog.Error("dimension step failed: its dates stay pending", "run_id", c.RunID, "err", stepErr)
	} else {
		slog.Info("dimension step finished", "run_id", c.RunID)
	}

	prog.begin(phaseReadBack, "counting the rows of every partition the run wrote", nil)
	w := written{owned: owned, dims: res, stepErr: stepErr}
	if w.partitions, err = c.readBack(owned, streamed, totals, res, stepErr == nil); err != nil {
		return written{}, err
	}
	prog.begin(phaseAccount, "writing runs, run_outcomes and run_partitions", nil)
	if w.job, err = newSummary(c, totals, w, started, time.Now()); err != nil {
		return written{}, err
	}
	if err := newAccount(c, w.job, owned).write(c.Output, c.RunID+"-account"); err != nil {
		return written{}, err
	}
	return w, nil
}

// readBack reads back every partition the run wrote (plannedPartitions)
// from the local warehouse.
func (c Config) readBack(owned, streamed []time.Time, totals schemas.TallyTotals, res dimensions.Result, stepDone bool) ([]runsummary.PartitionCheck, error) {
	parts, err := plannedPartitions(owned, streamed, totals, res, stepDone)
	if err != nil {
		return nil, err
	}
	// Every page is decoded, so partitions are read on every core.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range parts {
		p := &parts[i]
		g.Go(func() error {
			var dates []time.Time // an unpartitioned table is counted whole
			if !p.Date.IsZero() {
				dates = []time.Time{p.Date}
			}
			rows, err := warehouse.CountRows(c.Output, p.Table, dates)
			if err != nil {
				return fmt.Errorf("read back %s: %w", p.Table, err)
			}
			p.ReadBack = rows[p.Date]
			p.Settle()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
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
func plannedPartitions(owned, streamed []time.Time, totals schemas.TallyTotals, res dimensions.Result, stepDone bool) ([]runsummary.PartitionCheck, error) {
	var parts []runsummary.PartitionCheck
	add := func(table string, dates []time.Time, counted map[time.Time]int64, status string) {
		for _, d := range dates {
			if slices.ContainsFunc(parts, func(p runsummary.PartitionCheck) bool { return p.Table == table && p.Date.Equal(d) }) {
				continue // an owned partition the step rewrote: counted
			}
			p := runsummary.PartitionCheck{Table: table, Date: d, Status: status}
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
