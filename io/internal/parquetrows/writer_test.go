package parquetrows

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

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
