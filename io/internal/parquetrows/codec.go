package parquetrows

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/example/clickstream/schemas"
)

// codec turns rows of one Go type into Parquet.
//
// parquet-go v0.32.0 writes a time.Time field tagged `date` as its Unix
// nanoseconds cut to 32 bits (both GenericWriter and Schema.Deconstruct; its
// readers are right), so encode lets Deconstruct do every column and then
// rewrites the DATE columns of time.Time fields as days since the epoch, and
// typedDates prepares values for GenericWriter.
type codec struct {
	schema *parquet.Schema
	dates  []dateField
	// optional are the fields whose NULLs typedWriter checks (storedRight).
	optional []optionalField
	// newWriter starts a file of the codec's rows (typedWriters).
	newWriter func(io.Writer, *codec, ...parquet.WriterOption) rowWriter
}

// dateField is a time.Time (or *time.Time) struct field stored in a DATE
// column.
type dateField struct {
	field    int // index in the struct
	column   int // leaf column index in the schema
	ptr      bool
	optional bool
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	timePtrType = reflect.TypeFor[*time.Time]()
)

// codecs caches the codec of each table, built on first use.
var codecs sync.Map // table name -> *codec

// codecOf returns the codec of table's row type.
func codecOf(table string) (*codec, error) {
	if c, ok := codecs.Load(table); ok {
		return c.(*codec), nil
	}
	rowType, err := schemas.RowType(table)
	if err != nil {
		return nil, err
	}
	c, err := newCodec(rowType)
	if err != nil {
		return nil, fmt.Errorf("parquetrows: table %s: %w", table, err)
	}
	actual, _ := codecs.LoadOrStore(table, c)
	return actual.(*codec), nil
}

// Schema is the Parquet schema of table's files.
func Schema(table string) (*parquet.Schema, error) {
	c, err := codecOf(table)
	if err != nil {
		return nil, err
	}
	return c.schema, nil
}

func newCodec(rowType reflect.Type) (c *codec, err error) {
	if rowType.Kind() != reflect.Struct {
		return nil, fmt.Errorf("row type %v is not a struct", rowType)
	}
	defer func() {
		// parquet.SchemaOf panics on tags it cannot map.
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet schema of %v: %v", rowType, r)
		}
	}()
	newWriter, ok := typedWriters[rowType]
	if !ok {
		return nil, fmt.Errorf("row type %v has no entry in typedWriters", rowType)
	}
	schema := parquet.SchemaOf(reflect.New(rowType).Elem().Interface())
	optional, err := optionalFields(rowType, schema)
	if err != nil {
		return nil, err
	}
	c = &codec{schema: schema, optional: optional, newWriter: newWriter}
	for i := range rowType.NumField() {
		f := rowType.Field(i)
		if f.Type != timeType && f.Type != timePtrType {
			continue
		}
		name, ok := columnName(f)
		if !ok {
			continue
		}
		leaf, ok := schema.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("field %s: column %q not in the parquet schema", f.Name, name)
		}
		if !isDate(leaf.Node.Type()) {
			continue
		}
		c.dates = append(c.dates, dateField{field: i, column: leaf.ColumnIndex, ptr: f.Type == timePtrType, optional: leaf.Node.Optional()})
	}
	return c, nil
}

// columnName is the name of the column of struct field f, from its parquet
// tag; ok is false for a field that has none (unexported or tagged "-").
func columnName(f reflect.StructField) (name string, ok bool) {
	name, _, _ = strings.Cut(f.Tag.Get("parquet"), ",")
	if name == "-" || !f.IsExported() {
		return "", false
	}
	if name == "" {
		name = f.Name
	}
	return name, true
}

// encode appends the Parquet values of row (a value of the codec's type, or
// of a struct type of the same fields) to dst[:0].
func (c *codec) encode(dst parquet.Row, row any) parquet.Row {
	out := c.schema.Deconstruct(dst[:0], row)
	if len(c.dates) == 0 {
		return out
	}
	v := reflect.ValueOf(row)
	for _, d := range c.dates {
		f := v.Field(d.field)
		if d.ptr {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		days := daysSinceEpoch(f.Interface().(time.Time))
		for i, value := range out {
			if value.Column() == d.column && !value.IsNull() {
				out[i] = parquet.Int32Value(days).Level(value.RepetitionLevel(), value.DefinitionLevel(), d.column)
			}
		}
	}
	return out
}

// asRow is v, a parquet.Row or a value of the codec's type (or of a
// struct type of the same fields), in its Parquet form.
func (c *codec) asRow(v any) parquet.Row {
	if r, ok := v.(parquet.Row); ok {
		return r
	}
	return c.encode(nil, v)
}

// daysSinceEpoch is the Parquet DATE value of t's UTC calendar date.
func daysSinceEpoch(t time.Time) int32 {
	return int32(schemas.DateOf(t).Unix() / (24 * 60 * 60))
}

// isDate reports whether a Parquet leaf type is a DATE.
func isDate(t parquet.Type) bool {
	lt := t.LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(*format.DateType)
	return ok
}
