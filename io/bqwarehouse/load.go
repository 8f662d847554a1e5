package bqwarehouse

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// Files are staged on local paths (tests) or gs:// (BigQuery).
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/google/uuid"

	"github.com/example/clickstream/io/internal/parquetrows"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn3x1[context.Context, beam.X, func(string, stagedFile), error](&stageFn{})
	register.DoFn2x0[[]byte, func(string, stagedFile)](&ownedFn{})
	register.DoFn4x1[context.Context, string, func(*stagedFile) bool, func(LoadResult), error](&loadFn{})
	register.Emitter2[string, stagedFile]()
	register.Iter1[stagedFile]()
	register.Emitter1[LoadResult]()
	beam.RegisterType(reflect.TypeFor[stagedFile]())
	beam.RegisterType(reflect.TypeFor[LoadResult]())
	// Beam's schema coder cannot encode time.Time.
	beam.RegisterCoder(reflect.TypeFor[LoadResult](), encodeResult, decodeResult)
}

// LoadOptions says where Load stages files and which tables and partitions
// it replaces.
type LoadOptions struct {
	// Project and Dataset hold the tables (see EnsureTables).
	Project, Dataset string
	// TempLocation is where files are staged: gs://bucket/prefix, from which
	// BigQuery loads; a local directory only works with Endpoint (a fake
	// server reading local files).
	TempLocation string
	// RunID names the run: its staging directory and its load jobs.
	RunID string
	// Owned are the dates the run owns. Every owned partition of a
	// partitioned table is replaced, emptied when the run has no rows for
	// it, and rows of other dates are dropped (counted as rows_not_owned).
	// When Owned is empty, the run owns the dates it has rows for.
	Owned []time.Time
	// Endpoint is the BigQuery REST API's base URL, for tests; empty means
	// Google's, with Application Default Credentials. No credentials are
	// sent to an Endpoint.
	Endpoint string
	// After, when set, is a PCollection whose completion the load jobs wait
	// for (a side input): Pending's, so that no partition is replaced
	// before its date is marked pending.
	After beam.PCollection
}

// LoadResult is what Load did to one partition, or to an unpartitioned
// table.
type LoadResult struct {
	Table string
	// Date is the partition's date; zero for an unpartitioned table.
	Date time.Time
	// Rows are the rows the partition or table now holds: the load job's
	// output rows, 0 for an owned partition the run had no rows for (or
	// whose load failed).
	Rows int64
	// JobID is the load job's id (the attempt that succeeded, or the one
	// that failed), Attempt its attempt number (AttemptID); empty and 0 for
	// a partition emptied without a job.
	JobID   string
	Attempt int
	// Error is why the load failed for good (BigQuery's error result and
	// first errors), leaving the partition as it was; empty on success.
	Error string
}

// Load replaces partitions of a BigQuery table with rows, a PCollection of
// the table's row type (schemas.RowType: schemas.Event for fact_events,
// schemas.BotEvent, schemas.DeadLetter, schemas.Session, and the
// dimensions' types), by batch load jobs run inside the pipeline, so that
// it also works when the launcher exits after submitting the job.
//
// Rows are staged as Parquet files encoded like the local warehouse's
// (parquetrows.Writer), one per bundle and partition date, under
// <TempLocation>/clickstream/<RunID>/<table>/<column>=<YYYY-MM-DD>/part-<uuid>.parquet
// (<table>/part-<uuid>.parquet for an unpartitioned table). After a
// GroupByKey on the date (global window: Load is for bounded input), one
// load job per partition replaces table$YYYYMMDD with exactly the files
// staged for it (WRITE_TRUNCATE, CREATE_NEVER: the table must exist). An
// owned date without rows is emptied by deleting its partition. An
// unpartitioned table is replaced whole; one that gets no rows is left as
// it is (a load job needs a file). The staged files of a partition are
// deleted once its job has succeeded.
//
// Load jobs run through a JobRunner, named by RunID, the table and the
// date (attempts <base>_a0, _a1, ...), so a retried bundle cannot load a
// partition twice: it finds the attempt that succeeded, or waits for the
// one still running, after checking it loads the same files; a new run has
// new job ids. An attempt that failed transiently is followed by the next
// one. A load that fails for good (a file that does not fit the table, a
// refused row) is reported in the partition's LoadResult, its Error set
// and the partition left as it was, and the other partitions go on.
//
// It returns PCollection<LoadResult>, one per owned partition. Load
// panics while the graph is built when table is not a table of schemas/
// tables, rows is not of its row type, or an option is missing or invalid.
func Load(s beam.Scope, o LoadOptions, table string, rows beam.PCollection) beam.PCollection {
	s = s.Scope("bigquery.Load")
	dir := mustStagingDir(o, table, rows)
	partitioned := schemas.MustTable(table).TimePartitioning.Field != ""
	var owned []string
	if partitioned {
		owned = dateKeys(o.Owned)
	}
	rows = beam.WindowInto(s, window.NewGlobalWindows(), rows)
	files := beam.ParDo(s, &stageFn{Dir: dir, Table: table, Owned: owned}, rows)
	if len(owned) > 0 {
		files = beam.Flatten(s, files, beam.ParDo(s, &ownedFn{Dates: owned}, beam.Impulse(s)))
	}
	if o.After.IsValid() {
		files = beam.ParDo(s, &afterFn{}, files, beam.SideInput{Input: o.After})
	}
	return beam.ParDo(s, &loadFn{
		Project: o.Project, Dataset: o.Dataset, Endpoint: o.Endpoint,
		Dir: dir, Table: table, RunID: o.RunID,
	}, beam.GroupByKey(s, files))
}

// Run ids name a directory and go into job ids.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// mustStagingDir checks o for table and rows and returns the table's
// staging directory.
func mustStagingDir(o LoadOptions, table string, rows beam.PCollection) string {
	rowType, err := schemas.RowType(table)
	if err != nil {
		panic(fmt.Sprintf("bigquery.Load: %v", err))
	}
	if got := rows.Type().Type(); got != rowType {
		panic(fmt.Sprintf("bigquery.Load: table %s stores %v, got a PCollection of %v", table, rowType, got))
	}
	switch {
	case o.Project == "" || o.Dataset == "":
		panic("bigquery.Load: Project and Dataset are required")
	case !runIDPattern.MatchString(o.RunID):
		panic(fmt.Sprintf("bigquery.Load: run id %q: want letters, digits, '.', '_' or '-', starting with a letter or digit", o.RunID))
	case o.TempLocation == "":
		panic("bigquery.Load: TempLocation is required")
	case o.Endpoint == "" && !strings.HasPrefix(o.TempLocation, "gs://"):
		panic(fmt.Sprintf("bigquery.Load: TempLocation %q: BigQuery loads files from Cloud Storage, want gs://bucket/prefix", o.TempLocation))
	}
	filesystem.ValidateScheme(o.TempLocation)
	root := o.TempLocation
	if !strings.Contains(root, "://") {
		// Workers may not share the driver's working directory.
		abs, err := filepath.Abs(root)
		if err != nil {
			panic(fmt.Sprintf("bigquery.Load: TempLocation %q: %v", root, err))
		}
		root = abs
	}
	return strings.TrimSuffix(root, "/") + "/clickstream/" + o.RunID + "/" + table
}

// dateKeys are the distinct dates as YYYY-MM-DD, sorted.
func dateKeys(dates []time.Time) []string {
	keys := make([]string, 0, len(dates))
	for _, d := range dates {
		keys = append(keys, dateKey(d))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// dateKey is the grouping key of a partition: its UTC date as YYYY-MM-DD, or
// "" for an unpartitioned table (the zero date).
func dateKey(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return schemas.DateOf(d).Format(time.DateOnly)
}

// stagedFile is one staged Parquet file, keyed by its partition's date key.
// A file with no Path marks an owned date, so that its partition is
// replaced even when no rows were staged for it.
type stagedFile struct {
	Path  string
	Rows  int64
	Bytes int64
}

// ownedFn emits the marker of each owned date.
type ownedFn struct {
	// Dates are the owned dates, YYYY-MM-DD.
	Dates []string
}

func (f *ownedFn) ProcessElement(_ []byte, emit func(string, stagedFile)) {
	for _, d := range f.Dates {
		emit(d, stagedFile{})
	}
}

// stageFn writes the rows of a bundle into one Parquet file per partition
// date and emits the files when the bundle finishes. A file belongs to the
// load only once emitted: the files of a failed bundle are never loaded
// (the retry writes new ones), so orphans in the staging location are
// harmless.
type stageFn struct {
	// Dir is the table's staging directory (absolute path or gs:// URL).
	Dir string
	// Table is the table the rows belong to.
	Table string
	// Owned are the owned dates (YYYY-MM-DD); empty means every date.
	Owned []string

	column  string
	owned   map[string]bool
	fs      filesystem.Interface
	parts   map[string]*stagePart
	files   beam.Counter
	bytes   beam.Counter
	rows    beam.Counter
	dropped beam.Counter
}

func (f *stageFn) Setup(ctx context.Context) error {
	fs, err := filesystem.New(ctx, f.Dir)
	if err != nil {
		return fmt.Errorf("bigquery: stage %s: %w", f.Table, err)
	}
	f.fs = fs
	f.column = schemas.MustTable(f.Table).TimePartitioning.Field
	f.owned = make(map[string]bool, len(f.Owned))
	for _, d := range f.Owned {
		f.owned[d] = true
	}
	f.files = beam.NewCounter("bigquery", "files_staged")
	f.bytes = beam.NewCounter("bigquery", "bytes_staged")
	f.rows = beam.NewCounter("bigquery", "rows_staged")
	f.dropped = beam.NewCounter("bigquery", "rows_not_owned")
	return nil
}

func (f *stageFn) StartBundle(_ context.Context, _ func(string, stagedFile)) {
	f.abort()
	f.parts = make(map[string]*stagePart)
}

func (f *stageFn) ProcessElement(ctx context.Context, row beam.X, _ func(string, stagedFile)) error {
	date, err := schemas.PartitionDate(f.Table, row)
	if err != nil {
		return fmt.Errorf("bigquery: stage %s: %w", f.Table, err)
	}
	key := dateKey(date)
	if len(f.owned) > 0 && !f.owned[key] {
		f.dropped.Inc(ctx, 1)
		return nil
	}
	p, ok := f.parts[key]
	if !ok {
		if p, err = f.open(key); err != nil {
			return err
		}
		f.parts[key] = p
	}
	if err := p.enc.Write(row); err != nil {
		return fmt.Errorf("bigquery: stage %s: %w", p.path, err)
	}
	return nil
}

func (f *stageFn) FinishBundle(ctx context.Context, emit func(string, stagedFile)) error {
	for key, p := range f.parts {
		if err := p.commit(); err != nil {
			return fmt.Errorf("bigquery: stage %s: %w", p.path, err)
		}
		delete(f.parts, key)
		emit(key, stagedFile{Path: p.path, Rows: p.enc.Rows(), Bytes: p.out.n})
		f.files.Inc(ctx, 1)
		f.bytes.Inc(ctx, p.out.n)
		f.rows.Inc(ctx, p.enc.Rows())
	}
	return nil
}

func (f *stageFn) Teardown() error {
	if f.fs == nil { // Setup failed
		return nil
	}
	f.abort()
	return f.fs.Close()
}

// abort drops the files of a bundle that did not finish.
func (f *stageFn) abort() {
	for key, p := range f.parts {
		p.abort(f.fs)
		delete(f.parts, key)
	}
}

func (f *stageFn) open(key string) (*stagePart, error) {
	dir := f.Dir
	if key != "" {
		dir += "/" + f.column + "=" + key
	}
	path := dir + "/part-" + uuid.NewString() + ".parquet"
	// The upload outlives the element that opened it; cancelling its
	// context abandons it without creating the object.
	ctx, cancel := context.WithCancel(context.Background())
	w, err := f.fs.OpenWrite(ctx, path)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("bigquery: stage %s: %w", path, err)
	}
	out := &countingWriter{w: w}
	buf := bufio.NewWriterSize(out, 256<<10)
	enc, err := parquetrows.NewWriter(buf, f.Table)
	if err != nil {
		cancel()
		_ = w.Close()
		return nil, fmt.Errorf("bigquery: stage %s: %w", path, err)
	}
	return &stagePart{path: path, w: w, cancel: cancel, out: out, buf: buf, enc: enc}, nil
}

// stagePart is one Parquet file being written.
type stagePart struct {
	path   string
	w      io.WriteCloser
	cancel context.CancelFunc
	out    *countingWriter
	buf    *bufio.Writer
	enc    *parquetrows.Writer
}

// commit completes the file: on Cloud Storage the object exists from here.
func (p *stagePart) commit() error {
	defer p.cancel()
	err := p.enc.Close()
	if err == nil {
		err = p.buf.Flush()
	}
	if cerr := p.w.Close(); err == nil {
		err = cerr
	}
	return err
}

// abort abandons the file. Errors are ignored: a file that survives is
// never loaded.
func (p *stagePart) abort(fs filesystem.Interface) {
	p.cancel()
	_ = p.w.Close()
	if r, ok := fs.(filesystem.Remover); ok {
		_ = r.Remove(context.Background(), p.path)
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

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
