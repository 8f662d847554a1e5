package storagewritetest

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/example/clickstream/schemas"
)

// Row is one row as BigQuery would store it: column name to value, a string,
// int64, float64 or bool, DATE and TIMESTAMP as a time.Time in UTC (a DATE at
// midnight), a REPEATED column as a []any of those (of Row for a RECORD). A
// NULL column is absent.
type Row map[string]any

// decodeRow decodes one serialized row with the writer's descriptor and
// checks it against the table: every field set must be a column of a
// compatible type and mode, and every REQUIRED column must be set.
func decodeRow(t schemas.Table, desc protoreflect.MessageDescriptor, b []byte) (Row, error) {
	msg := dynamicpb.NewMessage(desc)
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, msg); err != nil {
		return nil, fmt.Errorf("cannot decode the row: %v", err)
	}
	if len(msg.GetUnknown()) > 0 {
		return nil, fmt.Errorf("the row has fields its writer schema does not declare")
	}
	return messageRow(t.Name, t.Schema, msg)
}

// messageRow checks a decoded message, a row or a RECORD's element, against
// cols, the columns of table (or of the record).
func messageRow(table string, cols []schemas.Column, msg protoreflect.Message) (Row, error) {
	row := Row{}
	var err error
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		c, ok := schemas.Table{Schema: cols}.Column(string(fd.Name()))
		if !ok {
			err = fmt.Errorf("field %s is not a column of table %s", fd.Name(), table)
			return false
		}
		row[c.Name], err = columnValue(table, c, fd, v)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if _, ok := row[c.Name]; c.Mode == "REQUIRED" && !ok {
			return nil, fmt.Errorf("missing required field %s", c.Name)
		}
	}
	return row, nil
}

func columnValue(table string, c schemas.Column, fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	if fd.IsList() != (c.Mode == "REPEATED") {
		return nil, fmt.Errorf("field %s: repeated is %t, the column's mode is %s", c.Name, fd.IsList(), c.Mode)
	}
	if !fd.IsList() {
		return scalar(c, fd.Kind(), v)
	}
	list := v.List()
	out := make([]any, list.Len())
	for i := range out {
		var err error
		if c.Type == "RECORD" && fd.Kind() == protoreflect.MessageKind {
			out[i], err = messageRow(table, c.Fields, list.Get(i).Message())
		} else {
			out[i], err = scalar(c, fd.Kind(), list.Get(i))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scalar converts one value by the column's type, accepting the proto kinds
// BigQuery documents for it.
func scalar(c schemas.Column, kind protoreflect.Kind, v protoreflect.Value) (any, error) {
	switch {
	case c.Type == "STRING" && kind == protoreflect.StringKind:
		return v.String(), nil
	case c.Type == "INT64" && isInt(kind):
		return v.Int(), nil
	case c.Type == "FLOAT64" && (kind == protoreflect.DoubleKind || kind == protoreflect.FloatKind):
		return v.Float(), nil
	case c.Type == "BOOL" && kind == protoreflect.BoolKind:
		return v.Bool(), nil
	case c.Type == "DATE" && kind == protoreflect.Int32Kind:
		return time.Unix(v.Int()*24*60*60, 0).UTC(), nil
	case c.Type == "TIMESTAMP" && kind == protoreflect.Int64Kind:
		return time.UnixMicro(v.Int()).UTC(), nil
	}
	return nil, fmt.Errorf("field %s: a proto %v cannot be written to a %s column", c.Name, kind, c.Type)
}

func isInt(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind,
		protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		return true
	}
	return false
}

// Decode converts rows to T, a struct with a parquet-tagged field per column
// (fields tagged "-" are left zero): a NULL column leaves its field zero (a
// nil pointer). It fails for a column T has no field for, or a value the
// field cannot hold.
func Decode[T any](rows []Row) ([]T, error) {
	rt := reflect.TypeFor[T]()
	if rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("storagewritetest: %v is not a struct", rt)
	}
	out := make([]T, len(rows))
	for i, row := range rows {
		if err := setStruct(reflect.ValueOf(&out[i]).Elem(), row); err != nil {
			return nil, fmt.Errorf("storagewritetest: row %d: %w", i, err)
		}
	}
	return out, nil
}

// setStruct stores row in v, a struct with a parquet-tagged field per column.
func setStruct(v reflect.Value, row Row) error {
	rt := v.Type()
	fields := map[string]int{}
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("parquet"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	for name, value := range row {
		f, ok := fields[name]
		if !ok {
			return fmt.Errorf("%v has no field for column %s", rt, name)
		}
		if err := set(v.Field(f), value); err != nil {
			return fmt.Errorf("column %s: %w", name, err)
		}
	}
	return nil
}

// set stores a Row value in a field of the matching Go type, a pointer to
// it, or for a list a slice of it; a RECORD's Row in a struct.
func set(f reflect.Value, value any) error {
	if row, ok := value.(Row); ok {
		if f.Kind() != reflect.Struct {
			return fmt.Errorf("a record cannot be stored in a %v", f.Type())
		}
		return setStruct(f, row)
	}
	if list, ok := value.([]any); ok {
		if f.Kind() != reflect.Slice {
			return fmt.Errorf("a list cannot be stored in a %v", f.Type())
		}
		s := reflect.MakeSlice(f.Type(), len(list), len(list))
		for i, e := range list {
			if err := set(s.Index(i), e); err != nil {
				return err
			}
		}
		f.Set(s)
		return nil
	}
	v := reflect.ValueOf(value)
	if f.Kind() == reflect.Pointer && v.Type() == f.Type().Elem() {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		f.Set(p)
		return nil
	}
	if v.Type() != f.Type() {
		return fmt.Errorf("a %v cannot be stored in a %v", v.Type(), f.Type())
	}
	f.Set(v)
	return nil
}
