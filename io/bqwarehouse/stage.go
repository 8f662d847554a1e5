package bqwarehouse

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// Files are staged on local paths (tests) or gs:// (BigQuery).
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/google/uuid"

	"github.com/example/clickstream/io/internal/parquetrows"
	"github.com/example/clickstream/schemas"
)

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
	p.enc.Discard()
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
