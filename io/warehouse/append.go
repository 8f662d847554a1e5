package warehouse

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/gofrs/flock"
	"github.com/google/uuid"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn4x1[context.Context, beam.EventTime, beam.X, func(beam.EventTime, schemas.Delivery), error](&appendFn{})
	register.Emitter2[beam.EventTime, schemas.Delivery]()
}

// Append is the streaming sink: it adds rows, a PCollection of the row type
// of table, to the visible partitions, one Parquet file per bundle and
// partition date, named part-stream-<runID>-<uuid>.parquet. A file is
// written under the run's _tmp directory and renamed into its partition
// when the bundle finishes, so readers see whole files or none.
//
// It returns PCollection<schemas.Delivery>: the Delivery of every row
// written (rows of Pub/Sub messages), emitted once the row's file is in
// place, for acknowledging the messages. Rows without a Delivery (sessions,
// reconciliation rows) emit nothing.
//
// Appended files are not journaled: a batch run that owns a date replaces
// the partition whole, streaming files included (that is how the batch run
// repairs a streamed day). Each worker holds the run's staging lock shared
// (Recover leaves its _tmp alone), and renames a bundle's files into their
// partitions under the warehouse's shared lock: never during a commit or a
// driver's Exclusive step, which would otherwise sweep away or miss a file
// whose messages are then acknowledged.
func Append(s beam.Scope, out, runID, table string, rows beam.PCollection) beam.PCollection {
	s = s.Scope("warehouse.Append")
	t := mustTable(table)
	if err := checkRunID(runID); err != nil {
		panic(err)
	}
	if got := rows.Type().Type(); got != t.rowType {
		panic(fmt.Sprintf("warehouse.Append: table %s stores %v, got a PCollection of %v", table, t.rowType, got))
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		panic(fmt.Sprintf("warehouse.Append: output directory %q: %v", out, err))
	}
	return beam.ParDo(s, &appendFn{Out: abs, RunID: runID, Table: table}, rows)
}

// delivered is a row's delivery with the row's timestamp, held until the
// row's file is in place.
type delivered struct {
	at beam.EventTime
	d  schemas.Delivery
}

type appendFn struct {
	// Out is the warehouse directory (absolute).
	Out string
	// RunID names the run's files and its _tmp directory.
	RunID string
	// Table is the table the rows belong to.
	Table string

	files   *bundleFiles
	runLock *flock.Flock
	written beam.Counter
	pending []delivered
}

func (f *appendFn) Setup() error {
	t, err := lookupTable(f.Table)
	if err != nil {
		return err
	}
	f.files = newBundleFiles(f.Out, f.RunID, t, func(date time.Time) string {
		dir := tableDir(f.Out, f.Table)
		if t.partitioned() {
			dir = finalDir(f.Out, f.Table, t.partition(date))
		}
		return filepath.Join(dir, appendedPrefix(f.RunID)+uuid.NewString()+partSuffix)
	})
	f.written = beam.NewCounter("warehouse", f.Table+"_rows_appended")
	// Held until the process ends: the runner may never call Teardown.
	return shared(f.Out, func() error {
		f.runLock, err = lockRun(f.Out, f.RunID, true)
		return err
	})
}

func (f *appendFn) StartBundle(_ context.Context, _ func(beam.EventTime, schemas.Delivery)) error {
	f.abort()
	return nil
}

func (f *appendFn) ProcessElement(_ context.Context, ts beam.EventTime, elem beam.X, _ func(beam.EventTime, schemas.Delivery)) error {
	if err := f.files.write(elem); err != nil {
		return err
	}
	if d, ok := elem.(schemas.Delivered); ok && d.DeliveryOf().AckID != "" {
		f.pending = append(f.pending, delivered{at: ts, d: d.DeliveryOf()})
	}
	return nil
}

func (f *appendFn) FinishBundle(ctx context.Context, emit func(beam.EventTime, schemas.Delivery)) error {
	rows, err := f.files.commit(func(publish func() error) error { return shared(f.Out, publish) })
	f.written.Inc(ctx, rows)
	if err != nil {
		return err
	}
	for _, d := range f.pending {
		emit(d.at, d.d)
	}
	f.pending = nil
	return nil
}

func (f *appendFn) Teardown() error {
	f.abort()
	if f.runLock != nil {
		unlock(f.runLock)
	}
	return nil
}

func (f *appendFn) abort() {
	f.files.abort()
	f.pending = nil
}

// appendedPrefix starts the names of the files a streaming run appends.
func appendedPrefix(runID string) string { return partPrefix + "stream-" + runID + "-" }

// CountAppended counts the rows of table in the files that the streaming
// run runID appended, in every partition.
func CountAppended(out, runID, table string) (int64, error) {
	t, err := lookupTable(table)
	if err != nil {
		return 0, err
	}
	dirs := []string{tableDir(out, table)}
	if t.partitioned() {
		dates, err := Dates(out, table)
		if err != nil {
			return 0, err
		}
		dirs = dirs[:0]
		for _, d := range dates {
			dirs = append(dirs, finalDir(out, table, t.partition(d)))
		}
	}
	var n int64
	for _, dir := range dirs {
		files, err := partFiles(dir)
		if err != nil {
			return 0, err
		}
		for _, path := range files {
			if !strings.HasPrefix(filepath.Base(path), appendedPrefix(runID)) {
				continue
			}
			rows, err := countFile(path)
			if err != nil {
				return 0, err
			}
			n += rows
		}
	}
	return n, nil
}
