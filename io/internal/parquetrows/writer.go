package parquetrows

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// maxRowsPerRowGroup bounds the rows a writer holds in memory before it
// flushes a row group to its file, and pageBufferSize the uncompressed bytes
// each of its columns buffers before it compresses them into a page.
//
// A sink keeps one writer open per table and partition date, each with a
// buffer per column (fact_events alone has ~60), so both bound most of what a
// sink stage holds: a row group's compressed pages wait in memory until it is
// flushed. parquet-go's defaults (256 KiB pages) with 64k-row groups kept
// ~260 MB live on the 1M-record bench data; these cut the run's peak live
// heap from 1.27 GB to 0.88-1.13 GB and the spread of its peak RSS from
// 1.9-2.7 GB to 1.8-2.3 GB over eight runs each (Prism, 2 cores; the best
// runs are alike, the same wall time within noise), for files ~10% larger
// (181 -> 199 MB). 16k rows is still a row group of megabytes for
// fact_events, large enough for BigQuery loads and DuckDB scans.
const (
	maxRowsPerRowGroup = 16 * 1024
	pageBufferSize     = 32 * 1024
)

// Writer writes rows of one table as one Parquet file.
//
// Rows are encoded, compressed and written on a goroutine of the Writer's
// own, in batches: the caller only hands them over. The local runner runs a
// stage's elements on one goroutine, and encoding is most of what a sink
// stage does, so this puts a second core to work. A write error therefore
// shows at a later Write or at Close. Every Writer must end with Close or
// Discard, which stop its goroutine.
type Writer struct {
	w     rowWriter
	rows  int64
	batch []any
	queue chan []any
	done  chan struct{}
	// stopped is set once the queue is closed.
	stopped bool

	mu     sync.Mutex
	failed error

	// copying is set by CopyRowGroup, whose rows group collects, groupRows
	// of them so far; values holds a column's values while they are copied.
	copying   bool
	group     *parquet.ConcurrentRowGroupWriter
	groupRows int64
	values    []parquet.Value
}

// writeBatch is how many rows the Writer hands to its goroutine at a time.
const writeBatch = 512

// NewWriter starts a Parquet file of table on w; an unknown table is an
// error. Close writes the footer; w itself is not closed.
func NewWriter(w io.Writer, table string) (*Writer, error) {
	c, err := codecOf(table)
	if err != nil {
		return nil, err
	}
	pw := c.newWriter(w, c,
		parquet.Compression(&fastSnappy{}),
		parquet.MaxRowsPerRowGroup(maxRowsPerRowGroup),
		parquet.PageBufferSize(pageBufferSize),
		// Each page's min and max stay in the file's column index, and each
		// row group's in its footer; parquet-go's default also repeats a
		// page's in its header, scanning the page for its bounds a second
		// time (the two scans took 1.1 s of CPU on the 1M-record bench
		// data; BenchmarkWriter's typed rows 230-258k -> 248-314k rows/s).
		// A reader that skips pages by their headers alone reads every page
		// of these files; BigQuery's loads and the project's whole-table
		// queries skip none.
		parquet.DataPageStatistics(false),
		parquet.CreatedBy("clickstream", "", ""),
	)
	f := &Writer{w: pw, queue: make(chan []any, 4), done: make(chan struct{})}
	go f.encode()
	return f, nil
}

// Write appends row, a value of the table's row type (schemas.RowType) or
// of a struct type of the same fields (a runner may decode an unregistered
// row type as such).
func (f *Writer) Write(row any) error { return f.add(row) }

// WriteRow appends a row already in the table's Parquet form, as read from
// one of its files (e.g. by a step that keeps some rows of a file); row is
// copied, so the caller may reuse it.
func (f *Writer) WriteRow(row parquet.Row) error { return f.add(row.Clone()) }

// add queues row (a value, or a parquet.Row of the Writer's own).
func (f *Writer) add(row any) error {
	if f.stopped {
		return errStopped
	}
	if f.copying {
		return errMixed
	}
	f.batch = append(f.batch, row)
	f.rows++
	if len(f.batch) == writeBatch {
		if err := f.failure(); err != nil {
			return err
		}
		f.queue <- f.batch
		f.batch = make([]any, 0, writeBatch)
	}
	return nil
}

// Rows is the number of rows written so far.
func (f *Writer) Rows() int64 { return f.rows }

// Close writes the rows still queued, flushes the last row group and
// writes the file's footer.
func (f *Writer) Close() error {
	if f.stopped {
		return errStopped
	}
	if len(f.batch) > 0 {
		f.queue <- f.batch
		f.batch = nil
	}
	f.stop()
	if err := f.failure(); err != nil {
		return err
	}
	if err := f.commitGroup(); err != nil {
		return err
	}
	return f.w.Close()
}

// Discard stops the Writer without completing the file, for a caller that
// abandons it; after Close it does nothing.
func (f *Writer) Discard() {
	if f.stopped {
		return
	}
	f.batch = nil
	f.fail(errStopped)
	f.stop()
}

var (
	errStopped = errors.New("parquetrows: writer closed or discarded")
	errMixed   = errors.New("parquetrows: a writer either copies row groups or writes rows")
)

// CopyRowGroup appends the rows of src, a row group of a file of the
// Writer's table, with the value of the non-repeated column col (its index
// in Schema) replaced in the rows that set names: set maps a row's index in
// src to its new value, with that column's index and levels. The rows are
// copied column by column, each column chunk's pages decoded and their
// values encoded again; no row is assembled. BenchmarkCopy: 490-525k
// rows/s on one core, against 208-226k for reading the rows with
// parquet-go's reader and writing them with WriteRow, which keeps two
// cores busy. Consecutive copies share a row group while it stays within
// the Writer's 16Ki rows.
//
// It runs on the caller's goroutine, and a Writer either copies row groups
// or writes rows: CopyRowGroup after Write or WriteRow, or Write or
// WriteRow after it, is an error.
func (f *Writer) CopyRowGroup(src parquet.RowGroup, col int, set map[int]parquet.Value) error {
	err := f.copyRowGroup(src, col, set)
	if err != nil && f.copying {
		f.fail(err) // a row group may be half written: Close must not commit it
	}
	return err
}

func (f *Writer) copyRowGroup(src parquet.RowGroup, col int, set map[int]parquet.Value) error {
	switch {
	case f.failure() != nil:
		return f.failure()
	case f.stopped:
		return errStopped
	case f.rows > 0 && !f.copying:
		return errMixed
	case !parquet.EqualNodes(src.Schema(), f.w.schema()):
		return errors.New("parquetrows: the row group to copy has another schema than the table's")
	}
	f.copying = true
	if f.groupRows > 0 && f.groupRows+src.NumRows() > maxRowsPerRowGroup {
		if err := f.commitGroup(); err != nil {
			return err
		}
	}
	if f.group == nil {
		f.group = f.w.beginRowGroup()
	}
	columns := f.group.ColumnWriters()
	for i, chunk := range src.ColumnChunks() {
		values, err := ColumnValues(chunk, f.values[:0])
		if err != nil {
			return err
		}
		f.values = values
		if i == col {
			if int64(len(values)) != src.NumRows() {
				return fmt.Errorf("parquetrows: column %d holds %d values for %d rows", col, len(values), src.NumRows())
			}
			for r, v := range set {
				values[r] = v
			}
		}
		if err := writeRowValues(columns[i], values); err != nil {
			return err
		}
	}
	clear(f.values[:cap(f.values)]) // written: keep the slice, not the pages any column pointed into
	f.rows += src.NumRows()
	f.groupRows += src.NumRows()
	return nil
}

// commitGroup writes the row group that CopyRowGroup filled, if any.
func (f *Writer) commitGroup() error {
	if f.group == nil {
		return nil
	}
	_, err := f.group.Commit()
	f.group, f.groupRows = nil, 0
	return err
}

// copyPageRows is how many rows CopyRowGroup hands a column writer at a
// time: as many as the typed writer does (typedBatch), so pages are cut
// where writing the rows cuts them. A column writer cuts a page once it
// buffers pageBufferSize bytes, but only after a call: one call with a
// whole column chunk would make one page of it.
const copyPageRows = typedBatch

// writeRowValues writes values, whole rows of one column, to w in calls
// of about copyPageRows rows each.
func writeRowValues(w *parquet.ColumnWriter, values []parquet.Value) error {
	for len(values) > 0 {
		n, rows := 0, 0
		for n < len(values) && (rows < copyPageRows || values[n].RepetitionLevel() > 0) {
			if values[n].RepetitionLevel() == 0 {
				rows++
			}
			n++
		}
		if _, err := w.WriteRowValues(values[:n]); err != nil {
			return err
		}
		values = values[n:]
	}
	return nil
}

// ColumnValues appends the values of every page of chunk to dst, each
// page decompressed and decoded, and returns the extended slice. Values of
// byte arrays point into the pages read.
func ColumnValues(chunk parquet.ColumnChunk, dst []parquet.Value) (values []parquet.Value, err error) {
	pages := chunk.Pages()
	defer func() { err = errors.Join(err, pages.Close()) }()
	dst = slices.Grow(dst, int(chunk.NumValues())) // one allocation, unless the footer is wrong
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return nil, err
		}
		dst = slices.Grow(dst, int(p.NumValues()))
		page := dst[len(dst) : len(dst)+int(p.NumValues())]
		r, read := p.Values(), 0
		for read < len(page) {
			n, err := r.ReadValues(page[read:])
			read += n
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		if read != len(page) {
			return nil, fmt.Errorf("a page of column %d holds %d values, its header says %d", chunk.Column(), read, len(page))
		}
		dst = dst[:len(dst)+read]
	}
}

func (f *Writer) stop() {
	f.stopped = true
	close(f.queue)
	<-f.done
}

// encode is the Writer's goroutine: it writes each batch until the queue
// closes; after an error it only drains.
func (f *Writer) encode() {
	defer close(f.done)
	for batch := range f.queue {
		if f.failure() != nil {
			continue
		}
		if err := f.w.write(batch); err != nil {
			f.fail(err)
		}
	}
}

func (f *Writer) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed == nil {
		f.failed = err
	}
}

func (f *Writer) failure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}
