package pipelines

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/storagewrite"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/sanitize"
	"github.com/example/clickstream/transforms/tally"
)

// The sinks.
const (
	SinkLocal    = "local"
	SinkBigQuery = "bigquery"
)

// BigQuery is where the BigQuery sink writes.
type BigQuery struct {
	Project, Dataset string
	// CreateTables creates missing tables (development projects; in
	// production Terraform owns them).
	CreateTables bool
	// TempLocation stages the batch load files (gs://...).
	TempLocation string
	// Endpoint and WriteEndpoint are fake servers' addresses for tests (the
	// REST API's base URL and the Storage Write API's host:port).
	Endpoint, WriteEndpoint string
}

// sink is where a run's tables go: the local warehouse (localSink) or
// BigQuery (bigquerySink). One driver (Run) serves both modes and both
// sinks through it.
type sink interface {
	// begin readies the sink before the job is built; release ends what it
	// holds once the run is over.
	begin(ctx context.Context, started time.Time) (release func(), err error)
	// write adds the writing of one table's rows to the graph: a batch run
	// stages or loads them, each PCollection in the stage that produces it
	// (bydevice's rounds); a streaming run appends them as they come and
	// gets back the deliveries of the rows written (schemas.Delivery) and
	// the rows refused (storagewrite.Rejected), for its accounting; a
	// batch run gets back zero PCollections.
	write(s beam.Scope, table string, rows ...beam.PCollection) (written, refused beam.PCollection)
	// tallies adds where the run's tallies go once counted: files that the
	// driver reads after the job or, for a batch run into BigQuery, the
	// job's own last stage, which decides the verdict inside the job.
	tallies(s beam.Scope, tallies []beam.PCollection)
	// finish runs on the launcher once the job has ended (the local
	// runner): it commits what the run wrote, or waits for nothing when the
	// job committed it, then counts what was written, from which the
	// driver builds the summary.
	finish(ctx context.Context, totals schemas.TallyTotals, started time.Time, prog *progress) (written, error)
}

// written is what a sink's finish found the run wrote.
type written struct {
	// job is the summary a batch run built before its account was
	// written: in the commit (local warehouse) or in the job's last stage
	// (finishBigQuery, BigQuery); the driver builds no other.
	job *runsummary.Summary
	// tables are the rows each table holds of a streaming run (nil: the
	// sink confirmed every row itself, so there is nothing to read back).
	tables map[string]int64
	// owned are the dates a batch run owns; partitions every partition it
	// wrote, counted and read back (plannedPartitions); dims what its
	// dimension step did, or stepErr why it failed.
	owned      []time.Time
	partitions []runsummary.PartitionCheck
	dims       dimensions.Result
	stepErr    error
	// unacked are the messages a streaming run left unacknowledged and gave
	// back for redelivery (set by the driver, not the sink).
	unacked []pubsubsource.Unacked
}

// newSink is the sink c.Sink names.
func (c Config) newSink() sink {
	if c.Sink == SinkBigQuery {
		return &bigquerySink{c: c}
	}
	return &localSink{c: c}
}

// streamedTables are the tables whose rows a streaming run counts.
var streamedTables = []string{"fact_events", "fact_sessions", "bot_events", "dead_letter",
	"live_funnel_10m", "live_products_1h", "live_search_1h", "cart_abandonment", "live_anomalies"}

// localSink writes into the local warehouse under c.Output: a batch run
// stages its rows and commits them after the job (commit); a streaming run
// appends them as they come.
type localSink struct{ c Config }

// begin recovers the warehouse from a run that died and, in batch, holds
// the run's staging for its whole life (warehouse.BeginRun), so that it
// fails at once when a live run owns some of the same dates.
func (k *localSink) begin(_ context.Context, started time.Time) (func(), error) {
	if k.c.Mode == schemas.ModeStreaming {
		return func() {}, nil
	}
	if err := warehouse.Recover(k.c.Output); err != nil {
		return nil, fmt.Errorf("recover warehouse %s: %w", k.c.Output, err)
	}
	run, err := warehouse.BeginRun(k.c.Output, warehouse.RunInfo{RunID: k.c.RunID, Dates: k.c.Dates, Started: started})
	if err != nil {
		return nil, err
	}
	return func() { _ = run.Close() }, nil
}

func (k *localSink) write(s beam.Scope, table string, rows ...beam.PCollection) (written, refused beam.PCollection) {
	s = s.Scope("write_" + table)
	rows = sanitizeAll(s, table, rows)
	if k.c.Mode == schemas.ModeStreaming {
		// The local warehouse refuses no row.
		return warehouse.Append(s, k.c.Output, k.c.RunID, table, beam.Flatten(s, rows...)),
			beam.CreateList(s, []storagewrite.Rejected{})
	}
	warehouse.Write(s, k.c.Output, k.c.RunID, table, rows...)
	return beam.PCollection{}, beam.PCollection{}
}

// sanitizeAll applies sanitize.Rows to each PCollection of rows.
func sanitizeAll(s beam.Scope, table string, rows []beam.PCollection) []beam.PCollection {
	out := make([]beam.PCollection, len(rows))
	for i, r := range rows {
		out[i] = sanitize.Rows(s, table, r)
	}
	return out
}

func (k *localSink) tallies(s beam.Scope, tallies []beam.PCollection) {
	tally.Write(s, k.c.tallyDir(), tallies...)
}

// finish, in streaming, counts the rows the run appended; in batch it
// commits the run (commit).
func (k *localSink) finish(ctx context.Context, totals schemas.TallyTotals, started time.Time, prog *progress) (written, error) {
	if k.c.Mode == schemas.ModeStreaming {
		w := written{tables: map[string]int64{}}
		for _, table := range streamedTables {
			n, err := warehouse.CountAppended(k.c.Output, k.c.RunID, table)
			if err != nil {
				return written{}, fmt.Errorf("read back %s: %w", table, err)
			}
			w.tables[table] = n
		}
		return w, nil
	}
	owned := k.c.Dates
	if len(owned) == 0 {
		var err error
		if owned, err = stagedDates(k.c); err != nil {
			return written{}, err
		}
	}
	var w written
	err := warehouse.Exclusive(k.c.Output, func() error {
		var err error
		w, err = k.c.commit(ctx, owned, totals, started, prog)
		return err
	})
	return w, err
}

// bigquerySink writes into BigQuery: a batch run loads each table's
// partitions once its owned dates are marked pending (bqwarehouse.Pending),
// and its last stage (finishBigQuery) does inside the job what the local
// warehouse's driver does after it; a streaming run appends rows through
// the Storage Write API.
type bigquerySink struct {
	c       Config
	pending beam.PCollection   // the batch run's bqwarehouse.Pending
	loads   []beam.PCollection // PCollection<bqwarehouse.LoadResult> per table
}

func (k *bigquerySink) begin(context.Context, time.Time) (func(), error) { return func() {}, nil }

func (k *bigquerySink) write(s beam.Scope, table string, rows ...beam.PCollection) (written, refused beam.PCollection) {
	if k.c.Mode == schemas.ModeStreaming {
		s = s.Scope("write_" + table)
		return storagewrite.Append(s, storagewrite.Options{
			Project: k.c.BigQuery.Project, Dataset: k.c.BigQuery.Dataset, Endpoint: k.c.BigQuery.WriteEndpoint,
		}, table, beam.Flatten(s, sanitizeAll(s, table, rows)...))
	}
	if !k.pending.IsValid() {
		// The owned dates are pending before any of their facts is
		// replaced: a job that dies after some loads leaves them pending
		// for the next run's dimension step.
		k.pending = bqwarehouse.Pending(s, k.c.loadOptions())
	}
	s = s.Scope("write_" + table)
	o := k.c.loadOptions()
	o.After = k.pending
	k.loads = append(k.loads, bqwarehouse.Load(s, o, table, sanitizeAll(s, table, rows)...))
	return beam.PCollection{}, beam.PCollection{}
}

func (k *bigquerySink) tallies(s beam.Scope, tallies []beam.PCollection) {
	if k.c.Mode == schemas.ModeStreaming {
		tally.Write(s, k.c.tallyDir(), tallies...)
		return
	}
	// No file may carry the tallies out of a Dataflow job: the job decides
	// its verdict itself, after its loads.
	finishBigQuery(s, k.c, tallies, k.loads)
}

// finish, in batch, takes the summary that the job's last stage saved; in
// streaming there is nothing to read back: a bundle ends only once
// BigQuery has its rows.
func (k *bigquerySink) finish(context.Context, schemas.TallyTotals, time.Time, *progress) (written, error) {
	if k.c.Mode == schemas.ModeStreaming {
		return written{}, nil
	}
	sum, err := runsummary.Load(k.c.Output, k.c.RunID)
	return written{job: sum}, err
}

// loadOptions are the BigQuery sink's load options for the run.
func (c Config) loadOptions() bqwarehouse.LoadOptions {
	return bqwarehouse.LoadOptions{
		Project: c.BigQuery.Project, Dataset: c.BigQuery.Dataset, TempLocation: c.BigQuery.TempLocation,
		RunID: c.RunID, Owned: c.Dates, Endpoint: c.BigQuery.Endpoint,
	}
}

// Loaded is the tally name of rows BigQuery load jobs wrote, by table;
// LoadFailed counts the partitions whose load failed for good, keyed by
// "<table>$<YYYYMMDD>: <BigQuery's error>". The run's last stage adds them
// to its totals (loadedTally).
const (
	Loaded     = "loaded"
	LoadFailed = "load_failed"
)

// loadedTally is what a load did, as a tally.
func loadedTally(r bqwarehouse.LoadResult) schemas.Tally {
	if r.Error == "" {
		return schemas.Tally{Name: Loaded, Key: r.Table, N: r.Rows}
	}
	partition := r.Table
	if !r.Date.IsZero() {
		partition += "$" + r.Date.Format("20060102")
	}
	summary, _, _ := strings.Cut(r.Error, "\n") // the first errors are in the log
	return schemas.Tally{Name: LoadFailed, Key: partition + ": " + summary, N: 1}
}

// ensureTables checks the BigQuery tables against schemas/tables before a
// run (and creates missing ones with CreateTables).
func (c Config) ensureTables(ctx context.Context) error {
	if c.Sink != SinkBigQuery || c.DryRun {
		return nil
	}
	client, err := bqwarehouse.NewClient(ctx, c.BigQuery.Project, c.BigQuery.Dataset, c.BigQuery.Endpoint)
	if err != nil {
		return err
	}
	defer func() { _ = client.Close() }()
	return bqwarehouse.EnsureTables(ctx, client, c.BigQuery.Dataset, schemas.Tables(), c.BigQuery.CreateTables)
}

// validateSink checks the sink settings.
func (c Config) validateSink() error {
	if c.Remote && c.Sink != SinkBigQuery {
		return fmt.Errorf("on Dataflow the local warehouse is out of reach: give --sink=bigquery")
	}
	switch c.Sink {
	case SinkLocal, "":
		return nil
	case SinkBigQuery:
		if c.BigQuery.Project == "" || c.BigQuery.Dataset == "" {
			return fmt.Errorf("--sink=bigquery needs --bq_project and --bq_dataset")
		}
		if c.Mode != schemas.ModeStreaming && (len(c.Dates) == 0 || c.BigQuery.TempLocation == "") {
			return fmt.Errorf("a batch run into BigQuery needs --dates (the partitions it replaces) and --temp_location")
		}
		return nil
	default:
		return fmt.Errorf("unknown --sink %q: want %s or %s", c.Sink, SinkLocal, SinkBigQuery)
	}
}
