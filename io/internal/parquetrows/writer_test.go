package parquetrows

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/internal/sampleevents"
	"github.com/example/clickstream/schemas"
)

// Rows handed over in several batches, as values, as values of a look-alike
// type and as Parquet rows, are all in the file, in order.
func TestWriterKeepsOrderAcrossBatches(t *testing.T) {
	const n = 3*writeBatch + 7
	c, err := codecOf("dead_letter")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "dead_letter")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	type lookAlike schemas.DeadLetter
	var reused parquet.Row
	for i := range n {
		row := schemas.DeadLetter{DeadLetterDate: day, Reason: fmt.Sprintf("reason-%d", i)}
		switch i % 5 {
		case 0, 1:
			err = w.Write(row)
		case 2:
			err = w.Write(lookAlike(row))
		default:
			reused = c.encode(reused[:0], row) // the writer must copy it
			err = w.WriteRow(reused)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if w.Rows() != n {
		t.Errorf("Rows() = %d, want %d", w.Rows(), n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := parquet.Read[schemas.DeadLetter](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("the file holds %d rows, want %d", len(got), n)
	}
	for i, row := range got {
		if want := fmt.Sprintf("reason-%d", i); row.Reason != want || !row.DeadLetterDate.Equal(day) {
			t.Fatalf("row %d has reason %q and date %v, want %q and %v", i, row.Reason, row.DeadLetterDate, want, day)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A failed write shows at Close at the latest; Discard after Close, and
// Write after either, neither panic nor succeed.
func TestWriterReportsErrorsAndStops(t *testing.T) {
	w, err := NewWriter(failingWriter{}, "dead_letter")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for range writeBatch + 1 {
		_ = w.Write(schemas.DeadLetter{DeadLetterDate: day, Reason: "r"})
	}
	if err := w.Close(); err == nil {
		t.Error("Close on a failing destination returned no error")
	}
	w.Discard()
	if err := w.Write(schemas.DeadLetter{DeadLetterDate: day}); err == nil {
		t.Error("Write after Close returned no error")
	}

	d, err := NewWriter(&bytes.Buffer{}, "dead_letter")
	if err != nil {
		t.Fatal(err)
	}
	d.Discard()
	if err := d.Close(); err == nil {
		t.Error("Close after Discard returned no error")
	}
}

// BenchmarkWriter writes fact_events rows shaped like the pipeline's (web
// and app events, a third of them with a user, one in ten with cart items)
// as values of the row type, which go through parquet-go's typed writer,
// and as values of a look-alike type, which go the way every row of
// another form goes (Deconstruct into a parquet.Row, then WriteRows).
// Snappy and the file's footer included; file-B/row is the file's size.
func BenchmarkWriter(b *testing.B) {
	rows := sampleevents.Events(10_000)
	type lookAlike schemas.Event
	forms := []struct {
		name  string
		write func(w *Writer, row schemas.Event) error
	}{
		{"typed", func(w *Writer, row schemas.Event) error { return w.Write(row) }},
		{"deconstructed", func(w *Writer, row schemas.Event) error { return w.Write(lookAlike(row)) }},
	}
	for _, form := range forms {
		b.Run(form.name, func(b *testing.B) {
			b.ReportAllocs()
			var file countingWriter
			for b.Loop() {
				file = 0
				w, err := NewWriter(&file, "fact_events")
				if err != nil {
					b.Fatal(err)
				}
				for _, row := range rows {
					if err := form.write(w, row); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(file)/float64(len(rows)), "file-B/row")
		})
	}
}

// countingWriter counts the bytes written to it and keeps none.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
