package bqwarehouse

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

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
// Several PCollections of rows (the outputs of bydevice's rounds) are each
// staged where they are produced, and loaded together.
//
// It returns PCollection<LoadResult>, one per owned partition. Load
// panics while the graph is built when table is not a table of schemas/
// tables, a PCollection is not of its row type, or an option is missing or
// invalid.
func Load(s beam.Scope, o LoadOptions, table string, rows ...beam.PCollection) beam.PCollection {
	s = s.Scope("bigquery.Load")
	dir := mustStagingDir(o, table, rows)
	partitioned := schemas.MustTable(table).TimePartitioning.Field != ""
	var owned []string
	if partitioned {
		owned = dateKeys(o.Owned)
	}
	var files []beam.PCollection
	for _, r := range rows {
		r = beam.WindowInto(s, window.NewGlobalWindows(), r)
		files = append(files, beam.ParDo(s, &stageFn{Dir: dir, Table: table, Owned: owned}, r))
	}
	if len(owned) > 0 {
		files = append(files, beam.ParDo(s, &ownedFn{Dates: owned}, beam.Impulse(s)))
	}
	all := beam.Flatten(s, files...)
	if o.After.IsValid() {
		all = beam.ParDo(s, &afterFn{}, all, beam.SideInput{Input: o.After})
	}
	return beam.ParDo(s, &loadFn{
		Project: o.Project, Dataset: o.Dataset, Endpoint: o.Endpoint,
		Dir: dir, Table: table, RunID: o.RunID,
	}, beam.GroupByKey(s, all))
}

// Run ids name a directory and go into job ids.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// mustStagingDir checks o for table and rows and returns the table's
// staging directory.
func mustStagingDir(o LoadOptions, table string, rows []beam.PCollection) string {
	rowType, err := schemas.RowType(table)
	if err != nil {
		panic(fmt.Sprintf("bigquery.Load: %v", err))
	}
	for _, r := range rows {
		if got := r.Type().Type(); got != rowType {
			panic(fmt.Sprintf("bigquery.Load: table %s stores %v, got a PCollection of %v", table, rowType, got))
		}
	}
	switch {
	case len(rows) == 0:
		panic("bigquery.Load: no rows to load")
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
