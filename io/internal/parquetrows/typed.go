package parquetrows

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/schemas"
)

// rowWriter writes batches of rows to one Parquet file.
type rowWriter interface {
	// write writes batch in order: values of the table's row type, rows in
	// the table's Parquet form (parquet.Row), or values of a struct type of
	// the same fields.
	write(batch []any) error
	Close() error
	// schema is the file's schema, and beginRowGroup starts a row group
	// written column by column, committed into the file in order.
	schema() *parquet.Schema
	beginRowGroup() *parquet.ConcurrentRowGroupWriter
}

// typedWriters maps every table's row type (schemas.RowType) to the
// constructor of its writer; newCodec fails for a row type not in it.
var typedWriters = map[reflect.Type]func(io.Writer, *codec, ...parquet.WriterOption) rowWriter{
	reflect.TypeFor[schemas.Event]():           newTypedWriter[schemas.Event],
	reflect.TypeFor[schemas.BotEvent]():        newTypedWriter[schemas.BotEvent],
	reflect.TypeFor[schemas.DeadLetter]():      newTypedWriter[schemas.DeadLetter],
	reflect.TypeFor[schemas.Session]():         newTypedWriter[schemas.Session],
	reflect.TypeFor[schemas.Reconciliation]():  newTypedWriter[schemas.Reconciliation],
	reflect.TypeFor[schemas.CartAbandonment](): newTypedWriter[schemas.CartAbandonment],
	reflect.TypeFor[schemas.LiveFunnel]():      newTypedWriter[schemas.LiveFunnel],
	reflect.TypeFor[schemas.Anomaly]():         newTypedWriter[schemas.Anomaly],
	reflect.TypeFor[schemas.LiveProduct]():     newTypedWriter[schemas.LiveProduct],
	reflect.TypeFor[schemas.LiveSearch]():      newTypedWriter[schemas.LiveSearch],
	reflect.TypeFor[schemas.DeviceUser]():      newTypedWriter[schemas.DeviceUser],
	reflect.TypeFor[schemas.Device]():          newTypedWriter[schemas.Device],
	reflect.TypeFor[schemas.User]():            newTypedWriter[schemas.User],
	reflect.TypeFor[schemas.Page]():            newTypedWriter[schemas.Page],
	reflect.TypeFor[schemas.DeviceDay]():       newTypedWriter[schemas.DeviceDay],
	reflect.TypeFor[schemas.DeviceUserRun]():   newTypedWriter[schemas.DeviceUserRun],
	reflect.TypeFor[schemas.PageDay]():         newTypedWriter[schemas.PageDay],
	reflect.TypeFor[schemas.UserDay]():         newTypedWriter[schemas.UserDay],
	reflect.TypeFor[schemas.StateDate]():       newTypedWriter[schemas.StateDate],
	reflect.TypeFor[schemas.Lease]():           newTypedWriter[schemas.Lease],
	reflect.TypeFor[schemas.ErasureRequest]():  newTypedWriter[schemas.ErasureRequest],
	reflect.TypeFor[schemas.ErasureLog]():      newTypedWriter[schemas.ErasureLog],
	reflect.TypeFor[schemas.Run]():             newTypedWriter[schemas.Run],
	reflect.TypeFor[schemas.RunOutcome]():      newTypedWriter[schemas.RunOutcome],
	reflect.TypeFor[schemas.RunPartition]():    newTypedWriter[schemas.RunPartition],
}

// typedWriter writes values of T through parquet-go's GenericWriter[T],
// which copies them into the column buffers field by field, instead of
// deconstructing each into a parquet.Row by reflection, the way every other
// row goes. On 10k fact_events rows of the 1M-record bench data, one core,
// Snappy included: 129k against 92k rows/s, a third of the bytes allocated
// (BenchmarkWriter's synthetic rows: 140k against 132k). In that run's CPU
// profile the sinks' encoding fell from 11.7 to 7.1 s and the garbage
// collector's work from 7.2 to 4.5 s.
//
// It queues up to typedBatch values and hands them over in the calls that
// storedRight allows.
type typedWriter[T any] struct {
	w      *parquet.GenericWriter[T]
	c      *codec
	values []T
	rows   []parquet.Row
}

// typedBatch is how many values typedWriter queues before it writes them:
// one word of the NULL bitmap that GenericWriter.Write scans (storedRight
// reasons within one word).
const typedBatch = 64

func newTypedWriter[T any](w io.Writer, c *codec, options ...parquet.WriterOption) rowWriter {
	options = append([]parquet.WriterOption{c.schema}, options...)
	return &typedWriter[T]{w: parquet.NewGenericWriter[T](w, options...), c: c, values: make([]T, 0, typedBatch)}
}

func (t *typedWriter[T]) schema() *parquet.Schema { return t.w.Schema() }

func (t *typedWriter[T]) beginRowGroup() *parquet.ConcurrentRowGroupWriter {
	return t.w.BeginRowGroup()
}

// write writes batch in order: consecutive values of T queued, other rows
// in their Parquet form, each group flushed before the next begins.
func (t *typedWriter[T]) write(batch []any) error {
	rows := t.rows[:0]
	for _, v := range batch {
		value, ok := v.(T)
		if !ok {
			if err := t.writeValues(); err != nil {
				return err
			}
			rows = append(rows, t.c.asRow(v))
			continue
		}
		if err := t.writeRows(rows); err != nil {
			return err
		}
		rows = rows[:0]
		if err := t.addValue(value); err != nil {
			return err
		}
	}
	err := errors.Join(t.writeValues(), t.writeRows(rows))
	clear(rows) // written: keep the slice, not the rows
	t.rows = rows[:0]
	return err
}

// addValue queues value, writing the queue once it holds typedBatch.
func (t *typedWriter[T]) addValue(value T) error {
	t.values = append(t.values, value)
	if len(t.c.dates) > 0 {
		t.c.typedDates(reflect.ValueOf(&t.values[len(t.values)-1]).Elem())
	}
	if len(t.values) < typedBatch {
		return nil
	}
	return t.writeValues()
}

// writeValues writes the queued values of T, in as many calls as
// storedRight needs.
func (t *typedWriter[T]) writeValues() error {
	for values := t.values; len(values) > 0; {
		n := storedRight(values, t.c.optional)
		if _, err := t.w.Write(values[:n]); err != nil {
			return err
		}
		values = values[n:]
	}
	clear(t.values) // their strings are in the column buffers now
	t.values = t.values[:0]
	return nil
}

// writeRows writes rows in their Parquet form.
func (t *typedWriter[T]) writeRows(rows []parquet.Row) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := t.w.WriteRows(rows)
	return err
}

func (t *typedWriter[T]) Close() error { return t.w.Close() }

// storedRight returns how many of values, at most 64, from the first,
// GenericWriter.Write stores right in one call. parquet-go v0.32 (v0.32.1
// too) stores some zero values of optional columns as values instead of
// NULL (parquet-go/parquet-go#154). A call scans each optional column's
// NULL bitmap, a word per 64 values; when a run of values starts at bit
// y != 0, it tests the rest of the word against y ones ((1<<y)-1) instead
// of all ones, so when the run is exactly y values long and only NULLs
// follow it in the word, those NULLs (bits 2y and after) are written as
// values. In batches of 512 this turned 1,848 NULL user_keys of the bench
// data's fact_events into "", so the writer handed over two values at a
// time, the most that never holds such a NULL.
//
// A prefix that ends with the last value of each such column holds none of
// them either: storedRight cuts there, again until no column of what is
// left would be misread. TestOptionalNulls holds every pattern that
// misleads the scan, in every optional column, and fails without the cut.
// Batches of up to 64 instead of pairs (December 6): BenchmarkWriter/typed
// 167-182k -> 277-299k rows/s; in CPU profiles of the 1M-record bench run
// the writers took 5.0-5.2 s instead of 7.5-7.6 s, every table identical.
func storedRight[T any](values []T, optional []optionalField) int {
	size := unsafe.Sizeof(values[0])
	base := unsafe.Pointer(unsafe.SliceData(values))
	n := min(len(values), 64)
	for {
		cut := n
		for _, f := range optional {
			last := n - 1
			for last >= 0 && !f.present(unsafe.Add(base, uintptr(last)*size)) {
				last--
			}
			if last < 0 || last == n-1 {
				continue // all NULL, or no NULL after the last value
			}
			start := last
			for start > 0 && f.present(unsafe.Add(base, uintptr(start-1)*size)) {
				start--
			}
			if start > 0 && last-start+1 == start {
				cut = min(cut, last+1)
			}
		}
		if cut == n {
			return n
		}
		n = cut
	}
}

// optionalField is a field of a row type whose column is optional and
// whose zero value GenericWriter finds through the NULL bitmap that
// storedRight reasons about: a string (NULL when empty) or an int64 (NULL
// when 0). Pointers, lists and times take other paths in parquet-go. The
// offset is into the codec's row type, the T of its typedWriter
// (typedWriters pairs them), which is what makes present's reads safe.
type optionalField struct {
	offset uintptr
	kind   reflect.Kind
}

// present reports whether the field of the row at row holds a value.
func (f optionalField) present(row unsafe.Pointer) bool {
	p := unsafe.Add(row, f.offset)
	if f.kind == reflect.String {
		return len(*(*string)(p)) != 0
	}
	return *(*int64)(p) != 0
}

// optionalFields returns the fields of rowType, a struct, whose columns in
// schema are optional and go through GenericWriter's NULL bitmap. A kind
// storedRight cannot test is an error: add it to optionalField.
func optionalFields(rowType reflect.Type, schema *parquet.Schema) ([]optionalField, error) {
	var fields []optionalField
	for i := range rowType.NumField() {
		f := rowType.Field(i)
		name, ok := columnName(f)
		if !ok {
			continue
		}
		leaf, ok := schema.Lookup(name)
		if !ok || !leaf.Node.Optional() {
			continue // a group (a list) or a required column
		}
		switch k := f.Type.Kind(); {
		case f.Type == timeType, k == reflect.Pointer, k == reflect.Slice && f.Type.Elem().Kind() != reflect.Uint8:
		case k == reflect.String || k == reflect.Int64:
			fields = append(fields, optionalField{offset: f.Offset, kind: k})
		default:
			return nil, fmt.Errorf("field %s: optional %v: typedWriter cannot tell its NULLs (see optionalField)", f.Name, f.Type)
		}
	}
	return fields, nil
}

// typedDates sets the DATE fields of row, an addressable value of the
// codec's type about to go through GenericWriter, to what that writer
// stores right. parquet-go v0.32 (v0.32.1 too) writes a time.Time into a
// DATE column as int32(t.UnixNano()) (see codec), so a date becomes the
// time whose Unix nanoseconds are its days since the epoch. A zero time in
// an optional column stays zero: it is stored as NULL.
func (c *codec) typedDates(row reflect.Value) {
	for _, d := range c.dates {
		f := row.Field(d.field).Addr().Interface()
		if d.ptr {
			p := f.(**time.Time)
			if *p != nil {
				t := typedDate(**p)
				*p = &t // a new time: the caller's stays as it was
			}
			continue
		}
		p := f.(*time.Time)
		if !p.IsZero() || !d.optional {
			*p = typedDate(*p)
		}
	}
}

// typedDate is the time GenericWriter stores as t's date (see typedDates).
func typedDate(t time.Time) time.Time { return time.Unix(0, int64(daysSinceEpoch(t))) }
