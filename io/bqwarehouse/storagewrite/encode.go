package storagewrite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/bigquery/storage/managedwriter/adapt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/schemas"
)

// rowEncoder turns rows of one Go type into the proto2 messages the Storage
// Write API takes for one table. The message type is derived from the table
// definition (adapt's conversion, as BigQuery documents it); each row is
// written field by field with protowire at the field numbers of that
// descriptor, which is what dynamicpb would produce without building a
// message per row.
type rowEncoder struct {
	table      string
	rowType    reflect.Type
	descriptor *descriptorpb.DescriptorProto
	columns    []column
	// delivery is the index of the row type's Delivery field, -1 if it has
	// none.
	delivery int
	// byName indexes columns by name, for the dead letter's fields.
	byName map[string]*column
}

// column is one table column and the struct field it is read from.
type column struct {
	name     string
	bqType   string // STRING, INT64, FLOAT64, BOOL, DATE, TIMESTAMP or RECORD
	required bool
	repeated bool
	field    int // index of the struct field
	ptr      bool
	number   protowire.Number
	// fields are the columns of a RECORD's structs.
	fields []column
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	deliveryType = reflect.TypeFor[schemas.Delivery]()
)

// goKinds are the Go field types a column of each BigQuery type is read
// from (a pointer to the scalar types is NULL when nil).
var goKinds = map[string]reflect.Type{
	"STRING":    reflect.TypeFor[string](),
	"INT64":     reflect.TypeFor[int64](),
	"FLOAT64":   reflect.TypeFor[float64](),
	"BOOL":      reflect.TypeFor[bool](),
	"DATE":      timeType,
	"TIMESTAMP": timeType,
}

// protoKinds are the proto field kinds adapt maps each BigQuery type to, and
// so the wire encoding used below.
var protoKinds = map[string]protoreflect.Kind{
	"STRING":    protoreflect.StringKind,
	"INT64":     protoreflect.Int64Kind,
	"FLOAT64":   protoreflect.DoubleKind,
	"BOOL":      protoreflect.BoolKind,
	"DATE":      protoreflect.Int32Kind,
	"TIMESTAMP": protoreflect.Int64Kind,
}

// newRowEncoder checks that rowType holds the columns of table, one struct
// field per column by its parquet tag (fields tagged "-" are not stored), and
// builds the table's message descriptor.
func newRowEncoder(table schemas.Table, rowType reflect.Type) (*rowEncoder, error) {
	if rowType.Kind() != reflect.Struct {
		return nil, fmt.Errorf("table %s: row type %v is not a struct", table.Name, rowType)
	}
	bqSchema, err := bqwarehouse.Schema(table)
	if err != nil {
		return nil, err
	}
	storageSchema, err := adapt.BQSchemaToStorageTableSchema(bqSchema)
	if err != nil {
		return nil, fmt.Errorf("table %s: storage schema: %w", table.Name, err)
	}
	d, err := adapt.StorageSchemaToProto2Descriptor(storageSchema, "root")
	if err != nil {
		return nil, fmt.Errorf("table %s: proto descriptor: %w", table.Name, err)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("table %s: proto descriptor is a %T, not a message", table.Name, d)
	}
	dp, err := adapt.NormalizeDescriptor(md)
	if err != nil {
		return nil, fmt.Errorf("table %s: normalize descriptor: %w", table.Name, err)
	}
	e := &rowEncoder{table: table.Name, rowType: rowType, descriptor: dp, delivery: -1, byName: map[string]*column{}}
	for i := range rowType.NumField() {
		if f := rowType.Field(i); f.Name == "Delivery" && f.Type == deliveryType {
			e.delivery = i
		}
	}
	if e.columns, err = bindColumns(table.Schema, rowType, md); err != nil {
		return nil, fmt.Errorf("table %s: %w", table.Name, err)
	}
	for i := range e.columns {
		e.byName[e.columns[i].name] = &e.columns[i]
	}
	return e, nil
}

// bindColumns binds cols to the fields of structType (one per column by its
// parquet tag; fields tagged "-" are not stored) and to the fields of md,
// the message of structType's rows.
func bindColumns(cols []schemas.Column, structType reflect.Type, md protoreflect.MessageDescriptor) ([]column, error) {
	fields := map[string]int{}
	for i := range structType.NumField() {
		f := structType.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "-" || name == "" || !f.IsExported() {
			continue
		}
		fields[name] = i
	}
	var out []column
	for _, c := range cols {
		i, ok := fields[c.Name]
		if !ok {
			return nil, fmt.Errorf("column %s has no field in %v", c.Name, structType)
		}
		delete(fields, c.Name)
		col, err := newColumn(c, structType.Field(i), md)
		if err != nil {
			return nil, err
		}
		col.field = i
		out = append(out, col)
	}
	if len(fields) > 0 {
		extra := slices.Sorted(maps.Keys(fields))
		return nil, fmt.Errorf("fields of %v that are not columns: %s", structType, strings.Join(extra, ", "))
	}
	return out, nil
}

func newColumn(c schemas.Column, f reflect.StructField, md protoreflect.MessageDescriptor) (column, error) {
	bqType := c.Type // the standard names only: schemas checks the table definitions
	col := column{name: c.Name, bqType: bqType, required: c.Mode == "REQUIRED", repeated: c.Mode == "REPEATED"}
	fd := md.Fields().ByName(protoreflect.Name(c.Name))
	if fd == nil {
		return col, fmt.Errorf("column %s: not in the proto descriptor", c.Name)
	}
	col.number = fd.Number()
	got := f.Type
	if bqType == "RECORD" {
		// Only a REPEATED record: a slice of structs (schemas checks it).
		if !col.repeated || got.Kind() != reflect.Slice || got.Elem().Kind() != reflect.Struct {
			return col, fmt.Errorf("column %s (%s RECORD): field %s is %v, want a slice of structs", c.Name, c.Mode, f.Name, got)
		}
		if fd.Kind() != protoreflect.MessageKind || !fd.IsList() {
			return col, fmt.Errorf("column %s (%s RECORD): proto field is %v (list %t)", c.Name, c.Mode, fd.Kind(), fd.IsList())
		}
		fields, err := bindColumns(c.Fields, got.Elem(), fd.Message())
		if err != nil {
			return col, fmt.Errorf("column %s: %w", c.Name, err)
		}
		col.fields = fields
		return col, nil
	}
	want, ok := goKinds[bqType]
	if !ok {
		return col, fmt.Errorf("column %s: unsupported type %s", c.Name, c.Type)
	}
	switch {
	case col.repeated:
		if got.Kind() != reflect.Slice || got.Elem() != want {
			return col, fmt.Errorf("column %s (REPEATED %s): field %s is %v, want []%v", c.Name, bqType, f.Name, got, want)
		}
	case got.Kind() == reflect.Pointer && got.Elem() == want && want != timeType:
		col.ptr = true
	case got != want:
		return col, fmt.Errorf("column %s (%s): field %s is %v, want %v", c.Name, bqType, f.Name, got, want)
	}
	if fd.Kind() != protoKinds[bqType] || fd.IsList() != col.repeated {
		return col, fmt.Errorf("column %s (%s %s): proto field is %v (list %t)", c.Name, c.Mode, bqType, fd.Kind(), fd.IsList())
	}
	return col, nil
}

// value returns the column's field of row and false when it is NULL: a nil
// pointer, or for a NULLABLE column an empty string or a zero time. An empty
// REPEATED column is an empty list, never NULL.
func (c *column) value(row reflect.Value) (reflect.Value, bool) {
	v := row.Field(c.field)
	switch {
	case c.ptr:
		if v.IsNil() {
			return v, false
		}
		return v.Elem(), true
	case c.required || c.repeated:
		return v, true
	case v.Kind() == reflect.String:
		return v, v.Len() > 0
	case v.Type() == timeType:
		return v, !v.Interface().(time.Time).IsZero()
	}
	return v, true
}

// encode returns the serialized message of row, a value of the encoder's row
// type. It fails only for a REQUIRED column held in a nil pointer.
func (e *rowEncoder) encode(row any) ([]byte, error) {
	v := reflect.ValueOf(row)
	if v.Type() != e.rowType {
		return nil, fmt.Errorf("table %s: row is a %v, want %v", e.table, v.Type(), e.rowType)
	}
	return appendColumns(make([]byte, 0, 512), e.table, e.columns, v)
}

// appendColumns writes the columns of v, a row or a RECORD's struct.
func appendColumns(b []byte, table string, cols []column, v reflect.Value) ([]byte, error) {
	for i := range cols {
		c := &cols[i]
		f, ok := c.value(v)
		if !ok {
			if c.required {
				return nil, fmt.Errorf("table %s: required column %s is NULL", table, c.name)
			}
			continue
		}
		if !c.repeated {
			b = c.append(b, f)
			continue
		}
		for j := range f.Len() {
			if c.fields == nil {
				b = c.append(b, f.Index(j))
				continue
			}
			sub, err := appendColumns(nil, table, c.fields, f.Index(j))
			if err != nil {
				return nil, err
			}
			b = protowire.AppendTag(b, c.number, protowire.BytesType)
			b = protowire.AppendBytes(b, sub)
		}
	}
	return b, nil
}

// append writes one value of the column (an element, for a REPEATED one).
func (c *column) append(b []byte, v reflect.Value) []byte {
	switch c.bqType {
	case "STRING":
		b = protowire.AppendTag(b, c.number, protowire.BytesType)
		return protowire.AppendString(b, v.String())
	case "INT64":
		b = protowire.AppendTag(b, c.number, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.Int()))
	case "FLOAT64":
		b = protowire.AppendTag(b, c.number, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.Float()))
	case "BOOL":
		b = protowire.AppendTag(b, c.number, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.Bool()))
	case "DATE":
		// An int32 is sign-extended to 64 bits on the wire.
		b = protowire.AppendTag(b, c.number, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(int64(daysSinceEpoch(v.Interface().(time.Time)))))
	case "TIMESTAMP":
		b = protowire.AppendTag(b, c.number, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.Interface().(time.Time).UnixMicro()))
	}
	panic("storagewrite: unchecked column type " + c.bqType)
}

// daysSinceEpoch is the DATE value of t's UTC calendar date.
func daysSinceEpoch(t time.Time) int32 {
	return int32(schemas.DateOf(t).Unix() / (24 * 60 * 60))
}

// deliveryOf returns the row's Delivery field, and false when its type has
// none.
func (e *rowEncoder) deliveryOf(row any) (schemas.Delivery, bool) {
	if e.delivery < 0 {
		return schemas.Delivery{}, false
	}
	return reflect.ValueOf(row).Field(e.delivery).Interface().(schemas.Delivery), true
}

// json returns the row as a JSON object of its non-NULL columns: DATE as
// YYYY-MM-DD, TIMESTAMP as RFC 3339 in UTC.
func (e *rowEncoder) json(row any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonObject(e.columns, reflect.ValueOf(row))); err != nil {
		panic(fmt.Sprintf("storagewrite: JSON of a %s row: %v", e.table, err)) // strings, numbers, bools and lists only
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// jsonObject is v, a row or a RECORD's struct, as the JSON object of its
// non-NULL columns.
func jsonObject(cols []column, v reflect.Value) map[string]any {
	obj := make(map[string]any, len(cols))
	for i := range cols {
		c := &cols[i]
		f, ok := c.value(v)
		if !ok {
			continue
		}
		switch {
		case c.repeated && f.Len() == 0:
			obj[c.name] = []any{}
		case c.fields != nil:
			list := make([]any, f.Len())
			for j := range list {
				list[j] = jsonObject(c.fields, f.Index(j))
			}
			obj[c.name] = list
		case c.bqType == "DATE":
			obj[c.name] = f.Interface().(time.Time).UTC().Format(time.DateOnly)
		case c.bqType == "TIMESTAMP":
			obj[c.name] = f.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
		case c.bqType == "FLOAT64" && (math.IsNaN(f.Float()) || math.IsInf(f.Float(), 0)):
			// JSON has no such numbers; BigQuery exports them as strings.
			obj[c.name] = strconv.FormatFloat(f.Float(), 'g', -1, 64)
		default:
			obj[c.name] = f.Interface()
		}
	}
	return obj
}

// stringColumn and intColumn read a column of row for the dead letter, the
// zero value when the table has no such column.
func (e *rowEncoder) stringColumn(row reflect.Value, name string) string {
	if c, ok := e.byName[name]; ok && c.bqType == "STRING" && !c.repeated {
		if f, ok := c.value(row); ok {
			return f.String()
		}
	}
	return ""
}

func (e *rowEncoder) intColumn(row reflect.Value, name string) int64 {
	if c, ok := e.byName[name]; ok && c.bqType == "INT64" && !c.repeated {
		if f, ok := c.value(row); ok {
			return f.Int()
		}
	}
	return 0
}
