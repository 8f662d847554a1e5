package pipelines

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/transforms/sanitize"
)

// accountTables are the run account's tables, each partitioned by the date
// its run started (run_date).
var accountTables = []string{"runs", "run_outcomes", "run_partitions"}

// account is a run's own rows (schemas/tables: runs, run_outcomes,
// run_partitions), made from its summary once the verdict is decided.
type account struct {
	run        schemas.Run
	outcomes   []schemas.RunOutcome
	partitions []schemas.RunPartition
}

// newAccount makes the account of a batch run into c.Sink that owns owned.
func newAccount(c Config, s *runsummary.Summary, owned []time.Time) account {
	runDate := schemas.DateOf(s.Started)
	sink := c.Sink
	if sink == "" {
		sink = SinkLocal
	}
	a := account{run: schemas.Run{
		RunDate: runDate, RunID: s.RunID, Mode: schemas.ModeBatch, Sink: sink,
		DatesOwned: schemas.FormatDates(owned), Started: s.Started, Finished: s.Finished,
		InputRecords: s.InputRecords, Events: s.Events, Duplicates: s.Duplicates,
		Bots: s.TotalBots(), DeadLetter: s.TotalDeadLetter(), OutOfRange: s.OutOfRange,
		Unwritable: s.Unwritable, Sessions: s.Sessions, Reconciled: s.Reconciled, Problems: s.Problems,
		Erased: s.Erased,
	}}
	if len(owned) > 0 {
		a.run.FirstDate, a.run.LastDate = owned[0], owned[len(owned)-1]
	}
	outcome := func(name, detail string, n int64) {
		a.outcomes = append(a.outcomes, schemas.RunOutcome{RunDate: runDate, RunID: s.RunID, Outcome: name, Detail: detail, Records: n})
	}
	// Every outcome has a row, 0 included; bots and dead letters one per
	// rule or reason (or one without detail when there are none).
	outcome(schemas.TallyInputRecords, "", s.InputRecords)
	outcome(schemas.TallyEvents, "", s.Events)
	outcome(schemas.TallyDuplicates, "", s.Duplicates)
	for _, o := range []struct {
		name   string
		detail map[string]int64
	}{{schemas.TallyBots, s.Bots}, {schemas.TallyDeadLetter, s.DeadLetter}} {
		if len(o.detail) == 0 {
			outcome(o.name, "", 0)
		}
		for _, k := range slices.Sorted(maps.Keys(o.detail)) {
			outcome(o.name, k, o.detail[k])
		}
	}
	outcome(schemas.TallyOutOfRange, "", s.OutOfRange)
	outcome(schemas.TallyUnwritable, "", s.Unwritable)
	outcome(schemas.TallyErased, "", s.Erased)
	for _, p := range s.Partitions {
		var written *int64 // a failed partition: what it holds is not the run's
		if p.Status != schemas.PartitionFailed {
			n := p.ReadBack
			written = &n
		}
		a.partitions = append(a.partitions, schemas.RunPartition{
			RunDate: runDate, RunID: s.RunID, TableName: p.Table, Date: p.Date, JobID: p.JobID, Attempt: p.Attempt,
			Status: p.Status, RowsCounted: p.Counted, RowsWritten: written, Error: p.Error,
		})
	}
	return a
}

// write adds the account to the local warehouse out, in one journaled
// commit staged under stageID: each account table's partition of the run's
// start date is replaced by its rows of other runs (read back first) plus
// this run's, so a run given the id of an earlier one replaces that run's
// rows. The caller holds the warehouse's exclusive lock, so no other run's
// account is added in between.
func (a account) write(out, stageID string) error {
	day := []time.Time{a.run.RunDate}
	if err := stageAccount(out, stageID, "runs", day, a.run.RunID, []schemas.Run{a.run}, func(r schemas.Run) string { return r.RunID }); err != nil {
		return err
	}
	if err := stageAccount(out, stageID, "run_outcomes", day, a.run.RunID, a.outcomes, func(r schemas.RunOutcome) string { return r.RunID }); err != nil {
		return err
	}
	if err := stageAccount(out, stageID, "run_partitions", day, a.run.RunID, a.partitions, func(r schemas.RunPartition) string { return r.RunID }); err != nil {
		return err
	}
	scope := warehouse.Scope{}
	for _, t := range accountTables {
		scope[t] = day
	}
	if _, err := warehouse.CommitScope(out, stageID, scope); err != nil {
		return fmt.Errorf("run account: %w", err)
	}
	return nil
}

// stageAccount stages the partition day of an account table: the rows it
// holds of other runs than runID, then rows, sanitized like every row a
// sink writes.
func stageAccount[T any](out, stageID, table string, day []time.Time, runID string, rows []T, runOf func(T) string) error {
	held, err := warehouse.ReadRows[T](out, table, day)
	if err != nil {
		return fmt.Errorf("run account: %w", err)
	}
	var all []T
	for _, r := range held {
		if runOf(r) != runID {
			all = append(all, r)
		}
	}
	for _, r := range rows {
		all = append(all, sanitize.Row(table, r))
	}
	if err := warehouse.Stage(out, stageID, table, all); err != nil {
		return fmt.Errorf("run account: %w", err)
	}
	return nil
}

// writeBigQuery adds the account to BigQuery in one multi-statement
// transaction of DML (bqwarehouse.ReplaceRows, job base id base): the run's
// rows of each account table's partition of its start date are deleted,
// then its rows inserted, so that a stage run again writes them once, and
// the tables keep their schemas.
func (a account) writeBigQuery(ctx context.Context, r *bqwarehouse.JobRunner, dataset, base string) error {
	const where = "run_date = @run_date AND run_id = @run_id"
	params := models.Params{"run_date": models.DateOf(a.run.RunDate), "run_id": a.run.RunID}
	err := bqwarehouse.ReplaceRows(ctx, r, dataset, base, params, []bqwarehouse.Replace{
		{Table: "runs", Where: where, Rows: sanitized("runs", []schemas.Run{a.run})},
		{Table: "run_outcomes", Where: where, Rows: sanitized("run_outcomes", a.outcomes)},
		{Table: "run_partitions", Where: where, Rows: sanitized("run_partitions", a.partitions)},
	})
	if err != nil {
		return fmt.Errorf("run account: %w", err)
	}
	return nil
}

// sanitized are rows of table sanitized like every row a sink writes.
func sanitized[T any](table string, rows []T) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = sanitize.Row(table, r)
	}
	return out
}
