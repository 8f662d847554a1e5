package warehouse

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/google/uuid"

	"github.com/example/clickstream/io/internal/parquetrows"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn1x1[[]byte, error](&beginFn{})
	register.DoFn2x1[context.Context, beam.X, error](&stageFn{})
}

// Write stages rows, PCollections of the row type of table (schemas.Event
// for fact_events, schemas.BotEvent for bot_events, schemas.DeadLetter for
// dead_letter), under <out>/_staging/<runID>/<table>/<column>=<date>/ as
// Parquet files, one per bundle and partition date. Each PCollection is
// staged in the stage that produces it (bydevice's rounds), so no row
// crosses the runner again. Nothing is visible in the warehouse until the
// driver calls Commit after the pipeline has finished.
//
// Write panics while the graph is built when table is not a warehouse table,
// no PCollection is given or one is not of its row type, or runID is not a
// plain path element.
func Write(s beam.Scope, out, runID, table string, rows ...beam.PCollection) {
	s = s.Scope("warehouse.Write")
	t := mustTable(table)
	if err := checkRunID(runID); err != nil {
		panic(err)
	}
	if len(rows) == 0 {
		panic(fmt.Sprintf("warehouse.Write: no rows for table %s", table))
	}
	for _, r := range rows {
		if got := r.Type().Type(); got != t.rowType {
			panic(fmt.Sprintf("warehouse.Write: table %s stores %v, got a PCollection of %v", table, t.rowType, got))
		}
	}
	// Workers may not share the driver's working directory.
	abs, err := filepath.Abs(out)
	if err != nil {
		panic(fmt.Sprintf("warehouse.Write: output directory %q: %v", out, err))
	}
	beam.ParDo0(s, &beginFn{Out: abs, RunID: runID}, beam.Impulse(s))
	for _, r := range rows {
		beam.ParDo0(s, &stageFn{Out: abs, RunID: runID, Table: table}, r)
	}
}

// beginFn creates the run's staging directory once per Write, so that
// Commit can tell a run that staged no rows from one that never ran or was
// already committed.
type beginFn struct {
	// Out is the warehouse directory (absolute).
	Out string
	// RunID names the run's staging directory.
	RunID string
}

func (f *beginFn) ProcessElement(_ []byte) error {
	if err := os.MkdirAll(runDir(f.Out, f.RunID), 0o755); err != nil {
		return fmt.Errorf("warehouse: begin run %s: %w", f.RunID, err)
	}
	return nil
}

// stageFn writes the rows of a bundle into one Parquet file per partition
// date in the run's staging (see bundleFiles).
type stageFn struct {
	// Out is the warehouse directory (absolute).
	Out string
	// RunID names the run's staging directory.
	RunID string
	// Table is the table the rows belong to.
	Table string

	files  *bundleFiles
	staged beam.Counter
}

func (f *stageFn) Setup() error {
	t, err := lookupTable(f.Table)
	if err != nil {
		return err
	}
	f.files = newBundleFiles(f.Out, f.RunID, t, func(date time.Time) string {
		return filepath.Join(stagedDir(f.Out, f.RunID, f.Table, t.partition(date)), partPrefix+uuid.NewString()+partSuffix)
	})
	f.staged = beam.NewCounter("warehouse", f.Table+"_rows_staged")
	return nil
}

func (f *stageFn) StartBundle(_ context.Context) error {
	f.files.abort()
	return nil
}

func (f *stageFn) ProcessElement(_ context.Context, elem beam.X) error {
	return f.files.write(elem)
}

func (f *stageFn) FinishBundle(ctx context.Context) error {
	rows, err := f.files.commit(noLock)
	f.staged.Inc(ctx, rows)
	return err
}

func (f *stageFn) Teardown() error {
	f.files.abort()
	return nil
}

// bundleFiles are the Parquet files one bundle writes, one per partition
// date: rows stream into a file under the run's _tmp directory as they
// arrive, and the file is renamed to its final path (given by place) only
// when the bundle finishes, so a failed bundle leaves only temporary files,
// which the next bundle, Teardown or the commit removes.
type bundleFiles struct {
	table *table
	tmp   string
	place func(date time.Time) string
	parts map[time.Time]*partWriter
}

func newBundleFiles(out, runID string, t *table, place func(date time.Time) string) *bundleFiles {
	return &bundleFiles{
		table: t, tmp: filepath.Join(runDir(out, runID), tmpDir), place: place,
		parts: make(map[time.Time]*partWriter),
	}
}

// write adds row to the file of its partition date, opening it if needed.
func (b *bundleFiles) write(row any) error {
	date, err := schemas.PartitionDate(b.table.name, row)
	if err != nil {
		return err
	}
	p, ok := b.parts[date]
	if !ok {
		if err := os.MkdirAll(b.tmp, 0o755); err != nil {
			return fmt.Errorf("warehouse: %w", err)
		}
		final := b.place(date)
		if p, err = newPartWriter(filepath.Join(b.tmp, filepath.Base(final)), final, b.table); err != nil {
			return fmt.Errorf("warehouse: %s: %w", final, err)
		}
		b.parts[date] = p
	}
	if err := p.write(row); err != nil {
		return fmt.Errorf("warehouse: %s: %w", p.final, err)
	}
	return nil
}

// commit completes every file, then moves them to their final paths inside
// publish (see noLock; Append publishes under the warehouse's shared lock),
// and returns the rows written.
func (b *bundleFiles) commit(publish func(func() error) error) (int64, error) {
	for _, p := range b.parts {
		if err := p.close(); err != nil {
			b.abort()
			return 0, fmt.Errorf("warehouse: %s: %w", p.final, err)
		}
	}
	var rows int64
	err := publish(func() error {
		for date, p := range b.parts {
			if err := rename(p.tmp, p.final); err != nil {
				return fmt.Errorf("warehouse: %s: %w", p.final, err)
			}
			rows += p.enc.Rows()
			delete(b.parts, date)
		}
		return nil
	})
	b.abort()
	return rows, err
}

// noLock publishes without a lock: staged files are invisible until the
// commit, which holds the exclusive lock.
func noLock(fn func() error) error { return fn() }

// abort drops the files of a bundle that did not finish.
func (b *bundleFiles) abort() {
	for date, p := range b.parts {
		p.abort()
		delete(b.parts, date)
	}
}

// partWriter streams rows into one Parquet file under a temporary name.
type partWriter struct {
	tmp, final string
	dst        *os.File
	buf        *bufio.Writer
	enc        *parquetrows.Writer
}

func newPartWriter(tmp, final string, t *table) (*partWriter, error) {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	enc, err := parquetrows.NewWriter(buf, t.name)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, err
	}
	return &partWriter{tmp: tmp, final: final, dst: f, buf: buf, enc: enc}, nil
}

func (p *partWriter) write(row any) error { return p.enc.Write(row) }

// commit completes the file and moves it to its final path.
func (p *partWriter) commit() error {
	if err := p.close(); err != nil {
		return err
	}
	return rename(p.tmp, p.final)
}

// close completes the file under its temporary name, durably; on failure
// the temporary file is removed.
func (p *partWriter) close() error {
	err := p.enc.Close()
	if err == nil {
		err = p.buf.Flush()
	}
	if err == nil {
		err = p.dst.Sync()
	}
	if cerr := p.dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(p.tmp)
	}
	return err
}

// abort drops the file. Errors are ignored: the run's _tmp directory is
// removed with its staging anyway.
func (p *partWriter) abort() {
	p.enc.Discard()
	_ = p.dst.Close()
	_ = os.Remove(p.tmp)
}
