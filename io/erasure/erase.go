package erasure

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"cloud.google.com/go/storage"
	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/schemas"
)

// Options configure Erase on a local warehouse, and EraseBigQuery (which
// ignores Warehouse).
type Options struct {
	// Warehouse is the local warehouse directory.
	Warehouse string
	// Keys are the pseudonymizers of every hash-key version in retention,
	// to recognise a person's raw user id in the raw archive.
	Keys []*pseudonym.Pseudonymizer
	// Dimensions configure the dimension step that rebuilds the dimensions
	// of the erased dates (RunID and Dates are set by Erase).
	Dimensions dimensions.Options
	// Now gives the log's times; nil means time.Now.
	Now func() time.Time
	// Storage reaches gs:// raw files; nil means storage.NewClient's, made
	// when the first one is met.
	Storage *storage.Client
	// Progress, when set, is told each phase as it starts: "staging",
	// "committing", "rewriting raw files", "dimension step", "done".
	Progress func(phase string)
}

func (o Options) progress(phase string) {
	if o.Progress != nil {
		o.Progress(phase)
	}
}

// Result is what one Erase did.
type Result struct {
	// RunID names the erasure's commit; "" when nothing was pending.
	RunID string
	// Requests are the ids of the requests it completed.
	Requests []string
	// Removed are the rows removed per table.
	Removed map[string]int64
	// RawFiles are the raw files rewritten.
	RawFiles []RawFile
	// Log are the erasure_log rows it added.
	Log []schemas.ErasureLog
}

// File adds requests to erasure_requests; a request id already filed is
// left as it was. It commits under runID.
func File(out, runID string, requests []schemas.ErasureRequest) error {
	return warehouse.Exclusive(out, func() error {
		if err := warehouse.Recover(out); err != nil {
			return err
		}
		have, err := warehouse.ReadRows[schemas.ErasureRequest](out, "erasure_requests", nil)
		if err != nil {
			return err
		}
		all := slices.Clone(have)
		for _, r := range requests {
			if !slices.ContainsFunc(have, func(h schemas.ErasureRequest) bool { return h.RequestID == r.RequestID }) {
				all = append(all, r)
			}
		}
		if len(all) == len(have) {
			return nil
		}
		if err := warehouse.Stage(out, runID, "erasure_requests", all); err != nil {
			return err
		}
		_, err = warehouse.CommitScope(out, runID, warehouse.Scope{})
		return err
	})
}

// Erase erases every pending request of erasure_requests (one without a
// complete row in erasure_log) from the local warehouse and the raw
// archive, under the warehouse's exclusive lock:
//
//  1. Recover completes or discards an erasure cut short.
//  2. Each table with a Rows rule gets the partitions holding a subject's
//     rows staged without them (warehouse.StageEdited); other partitions are
//     not touched.
//  3. The raw lines to blank are planned (planRaw: those of the erased
//     rows, and any other line sending a subject's user id or device), and
//     the plan is written to <warehouse>/_erasure/<run>.plan.json.
//  4. One journaled commit replaces the staged partitions, marks the erased
//     dates pending for the dimension step and appends the log, which
//     already counts the planned raw lines.
//  5. The plan is carried out (the raw files rewritten), the dimension step
//     rebuilds state and dimensions for the erased dates, and the plan is
//     removed.
//
// A crash before the commit's journal leaves nothing changed: the staging
// and the plan are discarded and the re-run plans again from the same
// warehouse. After it, the re-run completes the commit (Recover), finds the
// plan of a committed run and carries out step 5 again, which is
// idempotent. Either way the end state and the log are those of an
// uninterrupted run. With nothing pending and no plan left it changes
// nothing. The commit's run id is derived from the pending requests.
func Erase(ctx context.Context, opts Options) (Result, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var res Result
	raw := &rawFiles{client: opts.Storage}
	defer raw.close(opts.Storage)
	err := warehouse.Exclusive(opts.Warehouse, func() error {
		out := opts.Warehouse
		if err := warehouse.Recover(out); err != nil {
			return err
		}
		pending, log, err := pendingRequests(out)
		if err != nil {
			return err
		}
		dims := localDimensions(out, opts.Dimensions)
		if err := finishLeftover(ctx, raw, out, log, opts, dims); err != nil || len(pending) == 0 {
			return err
		}
		res.RunID = runIDOf(pending)
		started := now().UTC()
		subjects, err := newSubjects(out, pending)
		if err != nil {
			return err
		}
		opts.progress("staging")
		removed, targets, scope, err := stageErased(out, res.RunID, subjects)
		if err != nil {
			return err
		}
		plan, err := planRaw(ctx, raw, targets, subjects, opts.Keys)
		if err != nil {
			return err
		}
		res.RawFiles = plan.files()
		factDates := scope["fact_events"]
		if err := warehouse.Stage(out, res.RunID, "state_dates", dimensions.Pending(res.RunID, factDates)); err != nil {
			return err
		}
		res.Log = logRows(res.RunID, subjects, removed, res.RawFiles, started, now().UTC())
		if err := warehouse.Stage(out, res.RunID, "erasure_log", append(log, res.Log...)); err != nil {
			return err
		}
		scope["state_dates"] = factDates
		if err := writePlan(out, res.RunID, plan); err != nil {
			return err
		}
		opts.progress("committing")
		if _, err := warehouse.CommitScope(out, res.RunID, scope); err != nil {
			return err
		}
		res.summarize(pending)
		return finish(ctx, raw, out, res.RunID, plan, factDates, opts, dims)
	})
	return res, err
}

// summarize fills Removed and Requests from the log of the erasure of
// pending.
func (res *Result) summarize(pending []schemas.ErasureRequest) {
	res.Removed = map[string]int64{}
	for _, l := range res.Log {
		if l.Status == schemas.ErasureRemoved && l.Target != "raw" {
			res.Removed[l.Target] += l.RowsRemoved
		}
	}
	for _, r := range pending {
		res.Requests = append(res.Requests, r.RequestID)
	}
}

// pendingRequests returns the requests without a complete log row, and the
// log as it stands.
func pendingRequests(out string) ([]schemas.ErasureRequest, []schemas.ErasureLog, error) {
	requests, err := warehouse.ReadRows[schemas.ErasureRequest](out, "erasure_requests", nil)
	if err != nil {
		return nil, nil, err
	}
	log, err := warehouse.ReadRows[schemas.ErasureLog](out, "erasure_log", nil)
	if err != nil {
		return nil, nil, err
	}
	return notComplete(requests, log), log, nil
}

// notComplete returns the requests without a complete row in log, sorted
// by id.
func notComplete(requests []schemas.ErasureRequest, log []schemas.ErasureLog) []schemas.ErasureRequest {
	done := map[string]bool{}
	for _, l := range log {
		if l.Status == schemas.ErasureComplete {
			done[l.RequestID] = true
		}
	}
	var pending []schemas.ErasureRequest
	for _, r := range requests {
		if !done[r.RequestID] {
			pending = append(pending, r)
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].RequestID < pending[j].RequestID })
	return pending
}

// runIDOf names the erasure of requests: the same requests, the same id.
func runIDOf(requests []schemas.ErasureRequest) string {
	h := sha256.New()
	for _, r := range requests {
		h.Write([]byte(r.RequestID + "\n"))
	}
	return "erase-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// partitionKey is a table partition (date zero for an unpartitioned table).
type partitionKey struct {
	table string
	date  time.Time
}

// stageErased stages every partition holding a subject's rows without
// them, and returns the rows removed per request and partition, the raw
// lines of the removed rows, and the commit's scope.
func stageErased(out, runID string, subjects []*subject) (map[string]map[partitionKey]int64, rawTargets, warehouse.Scope, error) {
	removed := map[string]map[partitionKey]int64{}
	targets := rawTargets{}
	scope := warehouse.Scope{}
	tables := make([]string, 0, len(Rules))
	for name, r := range Rules {
		if r.Kind == Rows {
			tables = append(tables, name)
		}
	}
	sort.Strings(tables)
	for _, table := range tables {
		m, err := newMatcher(table, Rules[table])
		if err != nil {
			return nil, nil, nil, err
		}
		erase := func(date time.Time, row parquet.Row) (warehouse.Edit, error) {
			for _, s := range subjects {
				if !m.matches(s, row) {
					continue
				}
				id := s.request.RequestID
				if removed[id] == nil {
					removed[id] = map[partitionKey]int64{}
				}
				removed[id][partitionKey{table, date}]++
				if l, ok := m.rawLineOf(row); ok {
					targets.add(l, id)
				}
				return warehouse.Drop, nil
			}
			return warehouse.Keep, nil
		}
		edited, err := warehouse.StageEdited(out, runID, table, nil, erase)
		if err != nil {
			return nil, nil, nil, err
		}
		for d, e := range edited {
			if e.Dropped > 0 && !d.IsZero() {
				scope[table] = append(scope[table], d)
			}
		}
		slices.SortFunc(scope[table], time.Time.Compare)
	}
	return removed, targets, scope, nil
}

// logRows are the erasure_log rows of one erasure: per request, a row per
// partition and raw file it removed rows from, then its complete row.
func logRows(runID string, subjects []*subject, removed map[string]map[partitionKey]int64, raw []RawFile, started, finished time.Time) []schemas.ErasureLog {
	var rows []schemas.ErasureLog
	for _, s := range subjects {
		id := s.request.RequestID
		base := schemas.ErasureLog{RequestID: id, RunID: runID, Status: schemas.ErasureRemoved, StartedAt: started, FinishedAt: finished}
		var total int64
		parts := make([]partitionKey, 0, len(removed[id]))
		for p := range removed[id] {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(i, j int) bool {
			if parts[i].table != parts[j].table {
				return parts[i].table < parts[j].table
			}
			return parts[i].date.Before(parts[j].date)
		})
		for _, p := range parts {
			r := base
			r.Target = p.table
			if !p.date.IsZero() {
				r.Partition = p.date.Format(time.DateOnly)
			}
			r.RowsRemoved = removed[id][p]
			total += r.RowsRemoved
			rows = append(rows, r)
		}
		for _, f := range raw {
			if n := f.Blanked[id]; n > 0 {
				r := base
				r.Target, r.RawFile, r.RowsRemoved = "raw", f.Path, n
				rows = append(rows, r)
			}
		}
		done := base
		done.Status, done.RowsRemoved = schemas.ErasureComplete, total
		rows = append(rows, done)
	}
	return rows
}

// dimensionStep runs the dimension step of an erasure's run on its dates
// and every pending one.
type dimensionStep func(ctx context.Context, runID string, dates []time.Time) error

// finish carries out a committed erasure's raw plan, runs the dimension
// step, and removes the plan (kept under out).
func finish(ctx context.Context, raw *rawFiles, out, runID string, plan rawPlan, dates []time.Time, opts Options, dims dimensionStep) error {
	opts.progress("rewriting raw files")
	if err := plan.apply(ctx, raw); err != nil {
		return err
	}
	opts.progress("dimension step")
	if err := dims(ctx, runID, dates); err != nil {
		return err
	}
	if err := removePlan(out, runID); err != nil {
		return err
	}
	opts.progress("done")
	return nil
}

// finishLeftover finishes the erasures whose plan a crash left: one whose
// commit happened (its run is in the log) is finished, the plan of one that
// never committed is removed.
func finishLeftover(ctx context.Context, raw *rawFiles, out string, log []schemas.ErasureLog, opts Options, dims dimensionStep) error {
	runs, err := leftoverPlans(out)
	if err != nil {
		return err
	}
	for _, runID := range runs {
		if !slices.ContainsFunc(log, func(l schemas.ErasureLog) bool { return l.RunID == runID }) {
			if err := removePlan(out, runID); err != nil {
				return err
			}
			continue
		}
		plan, err := readPlan(out, runID)
		if err != nil {
			return err
		}
		if err := finish(ctx, raw, out, runID, plan, nil, opts, dims); err != nil {
			return err
		}
	}
	return nil
}

// localDimensions runs the dimension step for the erased dates and every
// pending one, with DuckDB on the warehouse out, as a pipeline run's driver
// does.
func localDimensions(out string, opts dimensions.Options) dimensionStep {
	return func(ctx context.Context, runID string, dates []time.Time) error {
		e, err := duck.NewEngine(ctx, out, runID+"-dims")
		if err != nil {
			return fmt.Errorf("erasure: dimension step: %w", err)
		}
		opts.RunID, opts.Dates = runID, dates
		_, err = dimensions.Run(ctx, e, opts)
		return errors.Join(err, e.Close())
	}
}
