package pipelines

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/compute/metadata"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/google/uuid"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn4x1[context.Context, []byte, func(*schemas.Tally) bool, func(*bqwarehouse.LoadResult) bool, error](&finishFn{})
	register.Iter1[schemas.Tally]()
	register.Iter1[bqwarehouse.LoadResult]()
}

// finishBigQuery adds the last stage of a batch run into BigQuery: once
// every load job has ended (the LoadResults are its side input, read whole
// before it starts) and every tally is counted, it runs the dimension step
// on BigQuery, reads back what the run wrote, decides the verdict and
// writes the run's account (runs, run_outcomes, run_partitions), all from
// inside the job: on Dataflow nothing runs on the launcher afterwards. On
// the local runner it also saves the summary under c.Output for the driver.
func finishBigQuery(s beam.Scope, c Config, tallies, loads []beam.PCollection) {
	s = s.Scope("finish_bigquery")
	fn := &finishFn{
		Project: c.BigQuery.Project, Dataset: c.BigQuery.Dataset, Endpoint: c.BigQuery.Endpoint,
		RunID: c.RunID, Input: c.Input, Dates: c.Dates,
		// The run starts when its graph is built (on Dataflow, at launch).
		Started:      time.Now().UTC(),
		StitchWindow: c.StitchWindow, Rebuild: c.RebuildDimensions, PageTypes: c.pageRules,
	}
	if c.Remote {
		fn.OnDataflow = true
	} else {
		fn.SummaryDir = c.Output
	}
	beam.ParDo0(s, fn, beam.Impulse(s),
		beam.SideInput{Input: beam.Flatten(s, tallies...)},
		beam.SideInput{Input: beam.Flatten(s, loads...)})
}

// finishFn is the last stage of a batch run into BigQuery (finishBigQuery).
type finishFn struct {
	// Project and Dataset hold the warehouse; Endpoint overrides the REST
	// API's base URL (tests).
	Project, Dataset, Endpoint string
	// RunID, Input and Dates (the dates owned) are the run's.
	RunID string
	Input []string
	Dates []time.Time
	// Started is when the run started.
	Started time.Time
	// StitchWindow, Rebuild and PageTypes configure the dimension step.
	StitchWindow time.Duration
	Rebuild      bool
	PageTypes    []schemas.PageTypeRule
	// SummaryDir, when set (the local runner), is the output directory
	// where the run's summary is saved (runsummary.Summary.Save) for the driver.
	SummaryDir string
	// OnDataflow asks the worker's metadata server for the Dataflow job's
	// id, which runs.job_id records.
	OnDataflow bool
}

// ProcessElement runs once per run. It opens its client itself: Prism
// never calls Teardown. An error of BigQuery's requests fails the stage, so
// that the runner retries it whole: the step's jobs are named per
// execution, and the account replaces the run's rows.
func (f *finishFn) ProcessElement(ctx context.Context, _ []byte, tallies func(*schemas.Tally) bool, loads func(*bqwarehouse.LoadResult) bool) error {
	totals := schemas.TallyTotals{}
	var t schemas.Tally
	for tallies(&t) {
		totals.Add(t)
	}
	var results []bqwarehouse.LoadResult
	var r bqwarehouse.LoadResult
	for loads(&r) {
		results = append(results, r)
		totals.Add(loadedTally(r))
	}
	owned := f.Dates
	client, err := bqwarehouse.NewClient(ctx, f.Project, f.Dataset, f.Endpoint)
	if err != nil {
		return err
	}
	defer func() { _ = client.Close() }() // requests done: nothing to flush
	runner := &bqwarehouse.JobRunner{Client: client}
	// Each execution of the stage names its own jobs: a retried stage must
	// not take an earlier execution's jobs for its own.
	exec := f.RunID + "_" + uuid.NewString()[:8]

	log.Infof(ctx, "run %s: dimension step starting", f.RunID)
	res, applied, stepErr := f.dimensionStep(ctx, runner, owned, results)
	if stepErr != nil {
		log.Errorf(ctx, "run %s: dimension step failed, its dates stay pending: %v", f.RunID, stepErr)
	} else {
		log.Infof(ctx, "run %s: dimension step finished", f.RunID)
	}
	parts, err := plannedPartitions(owned, nil, totals, res, stepErr == nil)
	if err != nil {
		return err
	}
	if err := f.readBack(ctx, runner, "clickstream_"+exec+"_read_back", parts, results, applied, stepErr); err != nil {
		return err
	}

	c := Config{Mode: schemas.ModeBatch, Sink: SinkBigQuery, RunID: f.RunID, Input: f.Input}
	sum, err := newSummary(c, totals, written{owned: owned, partitions: parts, dims: res, stepErr: stepErr}, f.Started, time.Now())
	if err != nil {
		return err
	}
	a := newAccount(c, sum, owned)
	if f.OnDataflow {
		a.run.JobID = dataflowJobID(ctx)
	}
	if err := a.writeBigQuery(ctx, runner, f.Dataset, "clickstream_"+exec+"_account"); err != nil {
		return err
	}
	log.Infof(ctx, "run %s: account written, reconciled %t, problems %q", f.RunID, sum.Reconciled, sum.Problems)
	if f.SummaryDir != "" {
		return sum.Save(f.SummaryDir)
	}
	return nil
}

// errLoadsFailed is the dimension step's error when a load failed: the
// step runs once every load job has succeeded, so the run's dates stay
// pending and the next run's step builds them.
var errLoadsFailed = errors.New("not run, because a load job failed")

// dimensionStep runs the dimension step on BigQuery (bqwarehouse.Engine, the
// models of sql/models as query jobs in a session, every job through the
// JobRunner), unless a load failed. It returns the step's result and the
// job of the transaction that wrote it.
func (f *finishFn) dimensionStep(ctx context.Context, runner *bqwarehouse.JobRunner, owned []time.Time, results []bqwarehouse.LoadResult) (dimensions.Result, *bqwarehouse.JobResult, error) {
	for _, r := range results {
		if r.Error != "" {
			return dimensions.Result{}, nil, errLoadsFailed
		}
	}
	e, err := bqwarehouse.NewEngine(ctx, bqwarehouse.EngineOptions{Runner: runner, Dataset: f.Dataset, RunID: f.RunID})
	if err != nil {
		return dimensions.Result{}, nil, err
	}
	res, err := dimensions.Run(ctx, e, dimensions.Options{
		RunID: f.RunID, Dates: owned, Rebuild: f.Rebuild, StitchWindow: f.StitchWindow, PageTypes: f.PageTypes,
	})
	err = errors.Join(err, e.Close(ctx))
	return res, e.Applied(), err
}

// readBack fills in parts (plannedPartitions) from BigQuery: a loaded
// partition from its load job (the rows it loaded, or its failure), the
// others from the dataset's INFORMATION_SCHEMA.PARTITIONS (one query job,
// base id base), with the job that wrote them (applied) or, for the
// pending dates of a step that failed, the job that failed.
func (f *finishFn) readBack(ctx context.Context, runner *bqwarehouse.JobRunner, base string, parts []runsummary.PartitionCheck, results []bqwarehouse.LoadResult, applied *bqwarehouse.JobResult, stepErr error) error {
	loaded := map[string]bqwarehouse.LoadResult{}
	for _, r := range results {
		loaded[r.Table+"$"+dateKey(r.Date)] = r
	}
	var derived []string
	for _, p := range parts {
		if p.Counted == nil && !slices.Contains(derived, p.Table) {
			derived = append(derived, p.Table)
		}
	}
	var held map[string]map[time.Time]int64
	if len(derived) > 0 {
		var err error
		if held, err = bqwarehouse.PartitionRows(ctx, runner, f.Dataset, base, derived); err != nil {
			return fmt.Errorf("read back: %w", err)
		}
	}
	var failed *bqwarehouse.JobFailedError
	errors.As(stepErr, &failed)
	for i := range parts {
		p := &parts[i]
		if p.Counted != nil {
			r := loaded[p.Table+"$"+dateKey(p.Date)]
			p.ReadBack, p.JobID, p.Error = r.Rows, r.JobID, r.Error
			if r.JobID != "" {
				p.Attempt = attempt(r.Attempt)
			}
			if r.Error != "" {
				p.Status = schemas.PartitionFailed
			}
			p.Settle()
			continue
		}
		p.ReadBack = held[p.Table][p.Date]
		switch {
		case applied != nil:
			p.JobID, p.Attempt = applied.ID, attempt(applied.Attempt)
		case failed != nil:
			p.JobID, p.Attempt, p.Error = failed.ID, attempt(failed.Attempt), stepErr.Error()
		case stepErr != nil:
			p.Error = stepErr.Error()
		}
		p.Settle()
	}
	return nil
}

func attempt(n int) *int64 {
	a := int64(n)
	return &a
}

// dateKey is a partition's date as YYYY-MM-DD, empty for an unpartitioned
// table.
func dateKey(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return d.UTC().Format(time.DateOnly)
}

// dataflowJobID is the id of the Dataflow job whose worker calls it:
// Dataflow sets it as the worker VM's instance attribute job_id, read from
// the metadata server (GCE_METADATA_HOST overrides its address). Without
// it the account is still written, with no job id, and the run is found by
// its run id.
func dataflowJobID(ctx context.Context) string {
	id, err := metadata.InstanceAttributeValueWithContext(ctx, "job_id")
	if err != nil {
		log.Warnf(ctx, "runs.job_id left empty: the worker's metadata server gave no job_id: %v", err)
		return ""
	}
	return strings.TrimSpace(id)
}
