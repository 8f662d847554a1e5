package warehouse

import (
	"io"
	"reflect"
	"time"

	"github.com/parquet-go/parquet-go"
)

// maxRowsPerRowGroup bounds the rows a writer holds in memory before it
// flushes a row group to its file.
const maxRowsPerRowGroup = 64 * 1024

// FileWriter writes rows of one table as one Parquet file, encoded exactly as
// the warehouse stores them (see the package doc: column types, NULLs,
// Snappy compression, row groups of up to 64Ki rows). Another sink that
// stages files for BigQuery uses it, so that both write the same bytes for
// the same rows.
type FileWriter struct {
	table *table
	w     *parquet.GenericWriter[any]
	row   parquet.Row
	batch []parquet.Row
	rows  int64
}

// NewFileWriter starts a Parquet file of table on w. Close writes the
// footer; w itself is not closed.
func NewFileWriter(w io.Writer, table string) (*FileWriter, error) {
	t, err := lookupTable(table)
	if err != nil {
		return nil, err
	}
	return newFileWriter(w, t), nil
}

func newFileWriter(w io.Writer, t *table) *FileWriter {
	pw := parquet.NewGenericWriter[any](w, t.codec.schema,
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(maxRowsPerRowGroup),
		parquet.CreatedBy("clickstream io/warehouse", "", ""),
	)
	return &FileWriter{table: t, w: pw, batch: make([]parquet.Row, 1)}
}

// Write appends row, a value of the table's row type (see RowType) or of a
// struct type of the same fields (a runner may decode an unregistered row
// type as such).
func (f *FileWriter) Write(row any) error {
	f.row = f.table.codec.encode(f.row, row)
	f.batch[0] = f.row
	if _, err := f.w.WriteRows(f.batch); err != nil {
		return err
	}
	f.rows++
	return nil
}

// Rows is the number of rows written so far.
func (f *FileWriter) Rows() int64 { return f.rows }

// Close flushes the last row group and writes the file's footer.
func (f *FileWriter) Close() error { return f.w.Close() }

// RowType is the Go type of the rows of table: schemas.Event for
// fact_events, schemas.BotEvent for bot_events, schemas.DeadLetter for
// dead_letter, schemas.Session for fact_sessions, and schemas.DeviceUser,
// schemas.Device, schemas.User and schemas.Page for the dimensions.
func RowType(table string) (reflect.Type, error) {
	t, err := lookupTable(table)
	if err != nil {
		return nil, err
	}
	return t.rowType, nil
}

// PartitionDate is the date of the partition of table that row belongs to:
// the UTC date of its partition column, or the zero time for an
// unpartitioned table. A row of a partitioned table without a date is an
// error.
func PartitionDate(table string, row any) (time.Time, error) {
	t, err := lookupTable(table)
	if err != nil {
		return time.Time{}, err
	}
	return t.partitionDate(row)
}
