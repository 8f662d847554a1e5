package parquetrows

import (
	"io"

	"github.com/parquet-go/parquet-go"
)

// maxRowsPerRowGroup bounds the rows a writer holds in memory before it
// flushes a row group to its file.
const maxRowsPerRowGroup = 64 * 1024

// Writer writes rows of one table as one Parquet file.
type Writer struct {
	codec *codec
	w     *parquet.GenericWriter[any]
	row   parquet.Row
	batch []parquet.Row
	rows  int64
}

// NewWriter starts a Parquet file of table on w; an unknown table is an
// error. Close writes the footer; w itself is not closed.
func NewWriter(w io.Writer, table string) (*Writer, error) {
	c, err := codecOf(table)
	if err != nil {
		return nil, err
	}
	pw := parquet.NewGenericWriter[any](w, c.schema,
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(maxRowsPerRowGroup),
		parquet.CreatedBy("clickstream", "", ""),
	)
	return &Writer{codec: c, w: pw, batch: make([]parquet.Row, 1)}, nil
}

// Write appends row, a value of the table's row type (schemas.RowType) or
// of a struct type of the same fields (a runner may decode an unregistered
// row type as such).
func (f *Writer) Write(row any) error {
	f.row = f.codec.encode(f.row, row)
	f.batch[0] = f.row
	if _, err := f.w.WriteRows(f.batch); err != nil {
		return err
	}
	f.rows++
	return nil
}

// Rows is the number of rows written so far.
func (f *Writer) Rows() int64 { return f.rows }

// Close flushes the last row group and writes the file's footer.
func (f *Writer) Close() error { return f.w.Close() }

// WriteRow appends a row already in the table's Parquet form, as read from
// one of its files (e.g. by a step that keeps some rows of a file).
func (f *Writer) WriteRow(row parquet.Row) error {
	f.batch[0] = row
	if _, err := f.w.WriteRows(f.batch); err != nil {
		return err
	}
	f.rows++
	return nil
}
