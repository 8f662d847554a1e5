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
// midnight), a REPEATED column as a []any of those. A NULL column is absent.
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
	row := Row{}
	var err error
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		c, ok := t.Column(string(fd.Name()))
		if !ok {
			err = fmt.Errorf("field %s is not a column of table %s", fd.Name(), t.Name)
			return false
		}
		row[c.Name], err = columnValue(c, fd, v)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range t.Schema {
		if _, ok := row[c.Name]; c.Mode == "REQUIRED" && !ok {
			return nil, fmt.Errorf("missing required field %s", c.Name)
		}
	}
	return row, nil
}

func columnValue(c schemas.Column, fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
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
		if out[i], err = scalar(c, fd.Kind(), list.Get(i)); err != nil {
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
	fields := map[string]int{}
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("parquet"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	out := make([]T, len(rows))
	for i, row := range rows {
		v := reflect.ValueOf(&out[i]).Elem()
		for name, value := range row {
			f, ok := fields[name]
			if !ok {
				return nil, fmt.Errorf("storagewritetest: row %d: %v has no field for column %s", i, rt, name)
			}
			if err := set(v.Field(f), value); err != nil {
				return nil, fmt.Errorf("storagewritetest: row %d: column %s: %w", i, name, err)
			}
		}
	}
	return out, nil
}

// set stores a Row value in a field of the matching Go type, a pointer to
// it, or for a list a slice of it.
func set(f reflect.Value, value any) error {
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
