package bqfake

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// Source files are local paths or gs:// URLs (fake-gcs-server through
	// STORAGE_EMULATOR_HOST).
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	bqv2 "google.golang.org/api/bigquery/v2"
)

// jobError is why a job failed: its error result, and the errors behind it
// (e.g. one per refused row).
type jobError struct {
	reason  string
	message string
	errors  []string
}

func (e *jobError) Error() string { return e.message }

func failf(reason, format string, args ...any) *jobError {
	return &jobError{reason: reason, message: fmt.Sprintf(format, args...)}
}

// run runs a job to completion and records its outcome in job: BigQuery
// accepts a job whose execution fails, and reports the failure in its
// status. The caller holds s.mu.
func (s *Server) run(ctx context.Context, job *bqv2.Job) {
	job.Statistics.StartTime = time.Now().UnixMilli()
	err := s.injectedJobFailure(job)
	switch {
	case err != nil:
	case job.Configuration.Load != nil:
		job.Statistics.Load, err = s.load(ctx, job.Configuration.Load)
	default:
		var res *result
		job.Statistics.Query, job.Statistics.SessionInfo, res, err = s.query(ctx, job)
		s.results[job.JobReference.JobId] = res
	}
	job.Statistics.EndTime = time.Now().UnixMilli()
	job.Status = &bqv2.JobStatus{State: "DONE"}
	if err != nil {
		e := &bqv2.ErrorProto{Reason: err.reason, Message: err.message}
		job.Status.ErrorResult = e
		job.Status.Errors = []*bqv2.ErrorProto{e}
		for _, msg := range err.errors {
			job.Status.Errors = append(job.Status.Errors, &bqv2.ErrorProto{Reason: err.reason, Message: msg})
		}
	}
}

// load replaces the destination table or partition with the rows of the
// source files, all or nothing.
func (s *Server) load(ctx context.Context, cfg *bqv2.JobConfigurationLoad) (*bqv2.JobStatistics3, *jobError) {
	dst := cfg.DestinationTable
	if dst == nil {
		return nil, failf("invalid", "Required parameter is missing: destinationTable")
	}
	name, decorator, partition := strings.Cut(dst.TableId, "$")
	t := s.lookupTable(dst.DatasetId, name)
	if dst.ProjectId != s.project || t == nil {
		if cfg.CreateDisposition != "CREATE_NEVER" {
			return nil, failf("notImplemented", "bqfake: creating a table in a load job (%s) is not implemented", cfg.CreateDisposition)
		}
		return nil, failf("notFound", "Not found: Table %s:%s.%s", dst.ProjectId, dst.DatasetId, name)
	}
	switch {
	case cfg.SourceFormat != "PARQUET":
		return nil, failf("notImplemented", "bqfake: source format %q is not implemented", cfg.SourceFormat)
	case cfg.WriteDisposition != "WRITE_TRUNCATE":
		return nil, failf("notImplemented", "bqfake: write disposition %q is not implemented", cfg.WriteDisposition)
	case len(cfg.SourceUris) == 0:
		return nil, failf("invalid", "Empty source URIs")
	}
	if partition {
		if err := checkDecorator(t, decorator); err != nil {
			return nil, failf("invalid", "%v", err)
		}
	}
	listInference := cfg.ParquetOptions != nil && cfg.ParquetOptions.EnableListInference
	stats := &bqv2.JobStatistics3{}
	var rows []map[string]any
	for _, uri := range cfg.SourceUris {
		if strings.Contains(uri, "*") {
			return nil, failf("notImplemented", "bqfake: wildcard URIs are not implemented: %s", uri)
		}
		data, err := readSource(ctx, uri)
		if err != nil {
			return nil, failf("notFound", "Not found: URI %s (%v)", uri, err)
		}
		got, err := decodeParquet(data, t.meta.Schema, listInference)
		if err != nil {
			return nil, failf("invalid", "Error while reading data, error message: %v File: %s", err, uri)
		}
		rows = append(rows, got...)
		stats.InputFiles++
		stats.InputFileBytes += int64(len(data))
	}
	if err := s.rejectRows(name, rows); err != nil {
		return nil, err
	}
	if partition {
		for _, row := range rows {
			if id := partitionOf(t, row); id != decorator {
				return nil, failf("invalid", "Some rows belong to different partitions rather than destination partition %s (a row of partition %s)", decorator, id)
			}
		}
	} else {
		decorator = ""
	}
	if err := s.store.replaceRows(ctx, dst.DatasetId, t, decorator, rows); err != nil {
		return nil, failf("invalid", "%v", err)
	}
	stats.OutputRows = int64(len(rows))
	return stats, nil
}

// partitionOf is the partition a row belongs to: the UTC date of its
// partition column as YYYYMMDD, __NULL__ when that is NULL, "" for an
// unpartitioned table (partitionSQL in SQL).
func partitionOf(t *table, row map[string]any) string {
	p := t.meta.TimePartitioning
	if p == nil {
		return ""
	}
	for _, f := range t.meta.Schema.Fields {
		if strings.EqualFold(f.Name, p.Field) {
			if v, ok := row[f.Name].(time.Time); ok {
				return v.UTC().Format("20060102")
			}
		}
	}
	return "__NULL__"
}

// readSource reads a whole source file through Beam's filesystems.
func readSource(ctx context.Context, uri string) ([]byte, error) {
	fs, err := filesystem.New(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
