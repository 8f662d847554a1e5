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
	out := make([]T, len(rows))
	for i, row := range rows {
		if err := setStruct(reflect.ValueOf(&out[i]).Elem(), row); err != nil {
			return nil, fmt.Errorf("bqfake: RowsOf: row %d: %w", i, err)
		}
	}
	return out, nil
}

// setStruct stores row, a row or a RECORD's element, in v: each field named
// by its parquet tag (or its name) from its column.
func setStruct(v reflect.Value, row map[string]any) error {
	typ := v.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		val, ok := row[name]
		if !ok {
			return fmt.Errorf("no column %s", name)
		}
		if err := set(v.Field(i), val); err != nil {
			return fmt.Errorf("column %s: %w", name, err)
		}
	}
	return nil
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
	if rec, ok := val.(map[string]any); ok {
		if dst.Kind() != reflect.Struct {
			return fmt.Errorf("a RECORD value into %v", dst.Type())
		}
		return setStruct(dst, rec)
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
