package bqwarehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
)

// loadFn runs the load job of one partition (or deletes an owned partition
// that got no rows), waits for it and emits what it wrote.
type loadFn struct {
	// Project and Dataset hold the table.
	Project, Dataset string
	// Endpoint overrides the REST API's base URL (tests).
	Endpoint string
	// Dir is the table's staging directory, whose files are deleted once
	// loaded.
	Dir string
	// Table is the destination table.
	Table string
	// RunID goes into the job ids.
	RunID string

	client   *bigquery.Client
	runner   *JobRunner
	fs       filesystem.Interface
	jobs     beam.Counter
	existing beam.Counter
	retries  beam.Counter
	failed   beam.Counter
	emptied  beam.Counter
	loaded   beam.Counter
}

func (f *loadFn) Setup(ctx context.Context) error {
	client, err := NewClient(ctx, f.Project, f.Dataset, f.Endpoint)
	if err != nil {
		return err
	}
	fs, err := filesystem.New(ctx, f.Dir)
	if err != nil {
		_ = client.Close()
		return fmt.Errorf("bigquery: staging %s: %w", f.Dir, err)
	}
	f.client, f.fs = client, fs
	f.runner = &JobRunner{Client: client}
	f.jobs = beam.NewCounter("bigquery", "load_jobs")
	f.existing = beam.NewCounter("bigquery", "load_jobs_already_existing")
	f.retries = beam.NewCounter("bigquery", "load_job_retries")
	f.failed = beam.NewCounter("bigquery", "load_jobs_failed")
	f.emptied = beam.NewCounter("bigquery", "partitions_emptied")
	f.loaded = beam.NewCounter("bigquery", "rows_loaded")
	return nil
}

func (f *loadFn) Teardown() error {
	if f.client == nil { // Setup failed
		return nil
	}
	return errors.Join(f.client.Close(), f.fs.Close())
}

func (f *loadFn) ProcessElement(ctx context.Context, key string, files func(*stagedFile) bool, emit func(LoadResult)) error {
	var date time.Time
	if key != "" {
		d, err := time.Parse(time.DateOnly, key)
		if err != nil {
			return fmt.Errorf("bigquery: load %s: partition key %q: %w", f.Table, key, err)
		}
		date = d
	}
	var uris []string
	var file stagedFile
	for files(&file) {
		if file.Path != "" {
			uris = append(uris, file.Path)
		}
	}
	if len(uris) == 0 {
		if err := f.empty(ctx, date); err != nil {
			return err
		}
		emit(LoadResult{Table: f.Table, Date: date})
		return nil
	}
	slices.Sort(uris)
	result, err := f.load(ctx, date, uris)
	if err != nil {
		return err
	}
	emit(result)
	f.cleanUp(ctx, uris)
	return nil
}

// destination is the table, or its partition of date.
func (f *loadFn) destination(date time.Time) string {
	if date.IsZero() {
		return f.Table
	}
	return f.Table + "$" + date.Format("20060102")
}

// load replaces the destination of date with the files of uris and returns
// what the job wrote there, or why it failed for good. Other errors fail
// the bundle, and the runner's retry carries on from the next attempt.
func (f *loadFn) load(ctx context.Context, date time.Time, uris []string) (LoadResult, error) {
	dst := f.destination(date)
	ref := bigquery.NewGCSReference(uris...)
	ref.SourceFormat = bigquery.Parquet
	// Without list inference a Parquet LIST loads as a RECORD, not as the
	// table's REPEATED column.
	ref.ParquetOptions = &bigquery.ParquetOptions{EnableListInference: true}
	cfg := &bigquery.LoadConfig{
		Src:               ref,
		Dst:               f.client.Dataset(f.Dataset).Table(dst),
		WriteDisposition:  bigquery.WriteTruncate,
		CreateDisposition: bigquery.CreateNever,
	}
	res, err := f.runner.Run(ctx, jobID(f.RunID, f.Table, date), cfg)
	var failed *JobFailedError
	switch {
	case errors.As(err, &failed):
		f.failed.Inc(ctx, 1)
		log.Errorf(ctx, "bigquery: load %s: %v", dst, failed)
		return LoadResult{Table: f.Table, Date: date, JobID: failed.ID, Attempt: failed.Attempt, Error: failed.Error()}, nil
	case err != nil:
		return LoadResult{}, fmt.Errorf("bigquery: load %s: %w", dst, err)
	}
	if res.Submitted {
		f.jobs.Inc(ctx, 1)
	} else {
		f.existing.Inc(ctx, 1)
	}
	f.retries.Inc(ctx, int64(res.Retries))
	stats, ok := res.Status.Statistics.Details.(*bigquery.LoadStatistics)
	if !ok {
		return LoadResult{}, fmt.Errorf("bigquery: load %s: job %s has no load statistics", dst, res.ID)
	}
	f.loaded.Inc(ctx, stats.OutputRows)
	return LoadResult{Table: f.Table, Date: date, Rows: stats.OutputRows, JobID: res.ID, Attempt: res.Attempt}, nil
}

// empty removes the partition of date. Deleting table$YYYYMMDD is
// BigQuery's documented way to delete one partition; a partition that holds
// no rows may be reported as not found, which is fine when the table exists.
func (f *loadFn) empty(ctx context.Context, date time.Time) error {
	dst := f.destination(date)
	err := f.client.Dataset(f.Dataset).Table(dst).Delete(ctx)
	if isStatus(err, http.StatusNotFound) {
		if _, terr := f.client.Dataset(f.Dataset).Table(f.Table).Metadata(ctx); terr != nil {
			return fmt.Errorf("bigquery: empty %s: table %s: %w", dst, f.Table, terr)
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("bigquery: empty %s: %w", dst, err)
	}
	f.emptied.Inc(ctx, 1)
	return nil
}

// cleanUp deletes loaded files. A failure only leaves files behind (a
// lifecycle rule on the staging bucket removes them), so it is logged.
func (f *loadFn) cleanUp(ctx context.Context, uris []string) {
	r, ok := f.fs.(filesystem.Remover)
	if !ok {
		return
	}
	for _, u := range uris {
		if err := r.Remove(ctx, u); err != nil {
			log.Warnf(ctx, "bigquery: delete loaded file %s: %v", u, err)
		}
	}
}

// Job ids may hold letters, digits, '_' and '-'.
var jobIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// jobID is the base id (see JobRunner) of the load job of one partition of
// one run: the same on every attempt of the run, different for every run.
func jobID(runID, table string, date time.Time) string {
	part := "all"
	if !date.IsZero() {
		part = date.Format("20060102")
	}
	return safeJobID("clickstream_" + runID + "_" + table + "_" + part)
}

// safeJobID is raw as a job id: characters a job id cannot hold become '_',
// plus a hash of raw so that ids stay distinct.
func safeJobID(raw string) string {
	id := jobIDUnsafe.ReplaceAllString(raw, "_")
	if id != raw {
		sum := sha256.Sum256([]byte(raw))
		id += "_" + hex.EncodeToString(sum[:4])
	}
	return id
}

func encodeResult(r LoadResult) ([]byte, error) { return json.Marshal(r) }

func decodeResult(b []byte) (LoadResult, error) {
	var r LoadResult
	err := json.Unmarshal(b, &r)
	return r, err
}
