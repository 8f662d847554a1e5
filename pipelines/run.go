package pipelines

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

// Run runs the pipeline in c.Mode on the runner named by --runner (Prism
// by default), writing through c.Sink, and returns the run's summary, which
// it also stores under <output>/_runs. On Dataflow (c.Remote) it returns a
// nil summary once the job is submitted. A run that is not reconciled
// returns its summary and no error: the caller decides (main exits
// non-zero).
//
// Before any work it checks, in one pass, the flags, the page-type rules
// (--page_types_file), that the hash key resolves (except on Dataflow, where
// only the workers read it) and, on BigQuery, the tables against
// schemas/tables. It logs each phase: "run starting", "pipeline finished",
// then in a local batch run "commit starting", "dimension step starting",
// "dimension step finished".
//
// Batch, on the local warehouse: the run holds its staging for its whole
// life (warehouse.BeginRun), so it fails at once when a live run owns some
// of the same dates; after the job it commits the partitions the run owns,
// marking their dates pending for the dimension step; runs the dimension
// step (io/dimensions: the SQL models of sql/models on DuckDB), which brings
// the state and the dimensions up to date and rewrites the fact_sessions
// partitions, of this run or earlier ones, whose resolved_user_key changes;
// reads back every partition it wrote; decides the verdict; and writes the
// run's own account (runs, run_outcomes, run_partitions), under the
// warehouse's exclusive lock (warehouse.Exclusive). A dimension step that
// fails makes the run not reconciled, and its dates stay pending for the
// next run's step. With the BigQuery sink the job does all of that itself
// (bigquery.Pending before the loads, then finishBigQuery after them), and
// Run returns the summary its last stage saved.
//
// Streaming: with --topic and no --subscription Run first creates the run's
// own subscription. On the local runner it runs until the reader stops
// (PubSub.MaxMessages or MaxDuration), every window has flushed and every
// message whose rows were all written is acknowledged; the summary holds
// the per-minute reconciliation. A message read but left unacknowledged
// (its rows not all confirmed) is given back to the subscription for
// redelivery and named, with the reason, among the summary's problems. On
// Dataflow the job runs on until drained; the reconciliation table is the
// job's account.
func Run(ctx context.Context, c Config) (*runsummary.Summary, error) { return run(ctx, c, seams{}) }

// seams are what tests change in a run; the zero value is the run main
// starts.
type seams struct {
	// beforeSinks, when set, is applied to the accepted events just before
	// they are written, to inject a fault.
	beforeSinks func(s beam.Scope, events beam.PCollection) beam.PCollection
	// ticks, when set, replaces the progress reporter's ticker.
	ticks <-chan time.Time
}

// run is Run with seams.
func run(ctx context.Context, c Config, t seams) (*runsummary.Summary, error) {
	c, err := c.withDefaults().check(ctx)
	if err != nil {
		return nil, err
	}
	if c.Mode == schemas.ModeStreaming && c.PubSub.Subscription == "" && !c.DryRun {
		id, err := pubsubsource.CreateSubscription(ctx, c.PubSub, c.Topic, "clickstream-"+c.RunID)
		if err != nil {
			return nil, err
		}
		slog.Info("created subscription", "subscription", id, "topic", c.Topic)
		c.PubSub.Subscription = id
	}
	started := time.Now()
	k := c.newSink()
	release, err := k.begin(ctx, started)
	if err != nil {
		return nil, err
	}
	defer release()
	slog.Info("run starting", "run_id", c.RunID, "mode", c.Mode, "input", c.Input, "subscription", c.PubSub.Subscription,
		"output", c.Output, "max_messages", c.PubSub.MaxMessages, "max_duration", c.PubSub.MaxDuration)

	p, s := beam.NewPipelineWithRoot()
	if c.Mode == schemas.ModeStreaming {
		streamingGraph(s, c, k, t.beforeSinks)
	} else {
		batchGraph(s, c, k, t.beforeSinks)
	}
	if c.Remote {
		if err := beamx.Run(ctx, p); err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		return nil, nil // submitted to Dataflow, which writes the tables itself
	}
	prog, err := c.newProgress(ctx)
	if err != nil {
		return nil, err
	}
	stop := c.startProgress(ctx, prog, t.ticks)
	defer stop()
	if err := c.runPipeline(ctx, p, prog); err != nil {
		return nil, err
	}
	slog.Info("pipeline finished", "run_id", c.RunID)
	// The local runner's buffers are garbage now; hand their memory back
	// before the commit and the dimension step (DuckDB) need their own.
	debug.FreeOSMemory()
	var unacked []pubsubsource.Unacked
	if c.Mode == schemas.ModeStreaming {
		if unacked, err = pubsubsource.GiveBackUnacked(ctx, c.PubSub); err != nil {
			slog.Warn("giving back the leases of unacknowledged messages; they return when the leases lapse", "err", err)
		}
	}
	totals, err := tally.Read(ctx, c.tallyDir())
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(c.tallyDir()); err != nil {
		return nil, fmt.Errorf("remove tallies: %w", err)
	}
	w, err := k.finish(ctx, totals, started, prog)
	if err != nil {
		return nil, err
	}
	w.unacked = unacked
	sum := w.job
	if sum == nil {
		if sum, err = newSummary(c, totals, w, started, time.Now()); err != nil {
			return nil, err
		}
	}
	sum.Stages = prog.end()
	return sum, sum.Save(c.Output)
}

// check is the run's one validation pass, before any work: the settings
// (validate), the page-type rules (loaded into pageRules), the hash key
// (resolved, except on Dataflow, where only the workers may reach it) and,
// on BigQuery, the tables against schemas/tables (ensureTables).
func (c Config) check(ctx context.Context) (Config, error) {
	if err := c.validate(); err != nil {
		return c, err
	}
	rules, err := c.pageTypes(ctx)
	if err != nil {
		return c, err
	}
	c.pageRules = rules
	if !c.Remote {
		if _, err := pseudonym.LoadKey(c.HashKeyRef); err != nil {
			return c, fmt.Errorf("hash key: %w", err)
		}
	}
	// Local requests are read once here so that a missing or malformed
	// file stops the run before any work (in streaming, every bundle would
	// fail on it).
	if c.ErasureRequests != "" && c.ErasureRequests != erasure.OnBigQuery {
		if _, err := c.erasureLookup().Keys(ctx); err != nil {
			return c, err
		}
	}
	return c, c.ensureTables(ctx)
}

// printsProgress reports whether the run prints progress lines: a local
// batch run with a ProgressInterval.
func (c Config) printsProgress() bool {
	return c.ProgressInterval > 0 && c.Mode != schemas.ModeStreaming
}

// newProgress is the run's progress reporter: it writes to c.Progress
// (stderr by default) when the run prints progress, and times the stages
// either way.
func (c Config) newProgress(ctx context.Context) (*progress, error) {
	out := c.Progress
	switch {
	case !c.printsProgress():
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

// startProgress makes prog print a line on each tick, of ticks if set,
// else every ProgressInterval, until the returned stop is called; it starts
// nothing when the run prints no progress.
func (c Config) startProgress(ctx context.Context, prog *progress, ticks <-chan time.Time) (stop func()) {
	if !c.printsProgress() {
		return func() {}
	}
	if ticks == nil {
		ticker := time.NewTicker(c.ProgressInterval)
		stopRun := prog.start(ctx, ticker.C)
		return func() {
			ticker.Stop()
			stopRun()
		}
	}
	return prog.start(ctx, ticks)
}

// runPipeline runs the job as the progress reporter's pipeline stage,
// polling the local runner for its counters when progress is printed.
func (c Config) runPipeline(ctx context.Context, p *beam.Pipeline, prog *progress) error {
	var source progressSource
	if c.printsProgress() {
		jobs, err := newPrismJobs(ctx)
		if err != nil {
			return err
		}
		if jobs != nil {
			defer jobs.close()
			source = jobs.poll
		}
	}
	doing := "reading Pub/Sub, then per device, then writing"
	if c.Mode != schemas.ModeStreaming {
		doing = fmt.Sprintf("reading %d file(s), then per device, then writing", prog.files)
	}
	prog.begin(phasePipeline, doing, source)
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
