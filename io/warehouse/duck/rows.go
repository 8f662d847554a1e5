package duck

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"

	"github.com/example/clickstream/io/internal/duckvalues"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// rowSets gives, for each table the dimension step replaces, a new empty
// set of its Go rows: warehouse.Stage takes the row type as a type
// parameter. (fact_sessions, which it updates, is edited in its Parquet
// form: see Engine.update.)
var rowSets = map[string]func() rowSet{
	"state_device_days":      newRows[schemas.DeviceDay],
	"state_device_user_runs": newRows[schemas.DeviceUserRun],
	"state_page_days":        newRows[schemas.PageDay],
	"state_user_days":        newRows[schemas.UserDay],
	"state_dates":            newRows[schemas.StateDate],
	"dim_device_users":       newRows[schemas.DeviceUser],
	"dim_devices":            newRows[schemas.Device],
	"dim_users":              newRows[schemas.User],
	"dim_pages":              newRows[schemas.Page],
}

// rowSet is a slice of one table's Go rows.
type rowSet interface {
	// scan appends the rows of a query result, matching its columns to the
	// row type's fields by their Parquet names.
	scan(rows *sql.Rows) error
	// stage stages the rows as table's (see warehouse.Stage).
	stage(out, runID, table string) error
}

type typedRows[T any] struct{ list []T }

func newRows[T any]() rowSet { return &typedRows[T]{} }

func (r *typedRows[T]) stage(out, runID, table string) error {
	return warehouse.Stage(out, runID, table, r.list)
}

func (r *typedRows[T]) scan(rows *sql.Rows) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	typ := reflect.TypeFor[T]()
	fields := make([]int, len(cols))
	for i, c := range cols {
		if fields[i] = fieldIndex(typ, c); fields[i] < 0 {
			return fmt.Errorf("column %s is not a field of %v", c, typ)
		}
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		var row T
		v := reflect.ValueOf(&row).Elem()
		for i, f := range fields {
			if err := setField(v.Field(f), duckvalues.Normalize(vals[i])); err != nil {
				return fmt.Errorf("column %s: %w", cols[i], err)
			}
		}
		r.list = append(r.list, row)
	}
	return rows.Err()
}

// fieldIndex returns the index of the field of struct type typ stored in
// the Parquet column name, or -1.
func fieldIndex(typ reflect.Type, name string) int {
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("parquet"), ",")
		if tag == name {
			return i
		}
	}
	return -1
}

// setField sets a row field from a normalized query value (see Result);
// NULL is the field's zero value, as the warehouse stores an empty optional
// field as NULL. A list sets a slice element by element, and a struct value
// (a REPEATED RECORD's element) sets the struct's fields by Parquet name.
func setField(f reflect.Value, v any) error {
	if v == nil {
		f.SetZero()
		return nil
	}
	switch v := v.(type) {
	case []any:
		if f.Kind() != reflect.Slice {
			return fmt.Errorf("cannot store a list in %v", f.Type())
		}
		s := reflect.MakeSlice(f.Type(), len(v), len(v))
		for i, x := range v {
			if err := setField(s.Index(i), x); err != nil {
				return err
			}
		}
		f.Set(s)
		return nil
	case map[string]any:
		if f.Kind() != reflect.Struct {
			return fmt.Errorf("cannot store a struct in %v", f.Type())
		}
		for name, x := range v {
			i := fieldIndex(f.Type(), name)
			if i < 0 {
				return fmt.Errorf("field %s is not a field of %v", name, f.Type())
			}
			if err := setField(f.Field(i), x); err != nil {
				return err
			}
		}
		return nil
	}
	value := reflect.ValueOf(v)
	if !value.Type().AssignableTo(f.Type()) {
		return fmt.Errorf("cannot store %T in %v", v, f.Type())
	}
	f.Set(value)
	return nil
}
