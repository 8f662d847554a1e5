package parquetrows

import (
	"errors"
	"io"
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

var errStopped = errors.New("parquetrows: writer closed or discarded")

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
