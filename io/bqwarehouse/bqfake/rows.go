package bqfake

import (
	"fmt"
	"reflect"
	"strings"
)

// RowsOf converts rows as Server.Rows returns them into values of T, a
// struct whose fields name their columns in parquet tags, like the row types
// of package schemas (`parquet:"event_date,date"`; "-" skips a field).
// NULL leaves a field zero (a pointer nil), an empty REPEATED column leaves
// a slice nil. A column T names that a row lacks, or a value T cannot hold,
// is an error.
func RowsOf[T any](rows []map[string]any) ([]T, error) {
	typ := reflect.TypeFor[T]()
	if typ.Kind() != reflect.Struct {
		return nil, fmt.Errorf("bqfake: RowsOf: %v is not a struct", typ)
	}
	type field struct {
		index int
		name  string
	}
	var fields []field
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields = append(fields, field{index: i, name: name})
	}
	out := make([]T, len(rows))
	for i, row := range rows {
		v := reflect.ValueOf(&out[i]).Elem()
		for _, f := range fields {
			val, ok := row[f.name]
			if !ok {
				return nil, fmt.Errorf("bqfake: RowsOf: row %d has no column %s", i, f.name)
			}
			if err := set(v.Field(f.index), val); err != nil {
				return nil, fmt.Errorf("bqfake: RowsOf: row %d column %s: %w", i, f.name, err)
			}
		}
	}
	return out, nil
}

func set(dst reflect.Value, val any) error {
	if val == nil {
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := set(p.Elem(), val); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	if list, ok := val.([]any); ok {
		if dst.Kind() != reflect.Slice {
			return fmt.Errorf("a REPEATED value into %v", dst.Type())
		}
		if len(list) == 0 {
			return nil
		}
		s := reflect.MakeSlice(dst.Type(), len(list), len(list))
		for i, x := range list {
			if err := set(s.Index(i), x); err != nil {
				return err
			}
		}
		dst.Set(s)
		return nil
	}
	v := reflect.ValueOf(val)
	if !v.Type().AssignableTo(dst.Type()) {
		return fmt.Errorf("a %v value into %v", v.Type(), dst.Type())
	}
	dst.Set(v)
	return nil
}
