package pipelines

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/storagewrite"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/sanitize"
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

// writeBatch writes a batch table: staged into the local warehouse (the
// driver commits it and reads the partitions back), or loaded into
// BigQuery partition by partition once pending (bqwarehouse.Pending) has
// marked the owned dates pending. With BigQuery it returns
// PCollection<bqwarehouse.LoadResult>, what each load job did, for the run's
// last stage (finishBigQuery).
func (c Config) writeBatch(s beam.Scope, table string, rows, pending beam.PCollection) []beam.PCollection {
	s = s.Scope("write_" + table)
	rows = sanitize.Rows(s, table, rows)
	if c.Sink != SinkBigQuery {
		warehouse.Write(s, c.Output, c.RunID, table, rows)
		return nil
	}
	o := c.loadOptions()
	o.After = pending
	return []beam.PCollection{bqwarehouse.Load(s, o, table, rows)}
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

// appendStream appends rows to a table as they come: local files, or the
// BigQuery Storage Write API, whose refused rows (storagewrite.Rejected) are
// returned for their fallback dead letters; the local warehouse refuses
// none. written are the deliveries of the rows written.
func (c Config) appendStream(s beam.Scope, table string, rows beam.PCollection) (written, rejected beam.PCollection) {
	s = s.Scope("write_" + table)
	rows = sanitize.Rows(s, table, rows)
	if c.Sink != SinkBigQuery {
		return warehouse.Append(s, c.Output, c.RunID, table, rows), beam.CreateList(s, []storagewrite.Rejected{})
	}
	return storagewrite.Append(s, storagewrite.Options{
		Project: c.BigQuery.Project, Dataset: c.BigQuery.Dataset, Endpoint: c.BigQuery.WriteEndpoint,
	}, table, rows)
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
		if c.Mode != ModeStreaming && (len(c.Dates) == 0 || c.BigQuery.TempLocation == "") {
			return fmt.Errorf("a batch run into BigQuery needs --dates (the partitions it replaces) and --temp_location")
		}
		return nil
	default:
		return fmt.Errorf("unknown --sink %q: want %s or %s", c.Sink, SinkLocal, SinkBigQuery)
	}
}
