package sanitize

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn3x1[context.Context, beam.X, func(beam.X), error](&sanitizeFn{})
	register.Emitter1[beam.X]()
}

// Rows returns rows, a PCollection of the row type of table (e.g.
// schemas.Event for fact_events), with every STRING column valid UTF-8 and
// within its bound (see the package documentation). It panics while the
// graph is built when table is not in schemas/tables, a STRING column has no
// bound, or the row type lacks a column's field.
func Rows(s beam.Scope, table string, rows beam.PCollection) beam.PCollection {
	s = s.Scope("sanitize.Rows")
	if _, err := planFor(table, rows.Type().Type()); err != nil {
		panic(err)
	}
	return beam.ParDo(s, &sanitizeFn{Table: table}, rows)
}

// Row returns row, a row of table, sanitized as Rows does: the same rule
// without Beam. It panics when T is not a row type of table.
func Row[T any](table string, row T) T {
	p, err := planFor(table, reflect.TypeFor[T]())
	if err != nil {
		panic(err)
	}
	out, _ := p.apply(row)
	return out.(T)
}

type sanitizeFn struct {
	// Table is the table whose column bounds apply.
	Table string

	plan    *plan
	cleaned beam.Counter
}

func (fn *sanitizeFn) Setup() {
	fn.cleaned = beam.NewCounter("sanitize", "cleaned_"+fn.Table)
}

func (fn *sanitizeFn) ProcessElement(ctx context.Context, row beam.X, emit func(beam.X)) error {
	if fn.plan == nil {
		p, err := planFor(fn.Table, reflect.TypeOf(row))
		if err != nil {
			return err
		}
		fn.plan = p
	}
	out, changed := fn.plan.apply(row)
	if changed {
		fn.cleaned.Inc(ctx, 1)
	}
	emit(out)
	return nil
}

// plan is what sanitizing one row type for one table needs: its STRING
// columns' fields and bounds.
type plan struct {
	fields []field
}

type field struct {
	index int  // of the struct field
	limit int  // bytes
	list  bool // a REPEATED column ([]string)
	// record is the plan of a REPEATED RECORD's elements (a slice of
	// structs), nil for a STRING column.
	record *plan
}

type planKey struct {
	table string
	typ   reflect.Type
}

var plans sync.Map // planKey -> *plan

// planFor returns the plan of rowType for table, built on first use.
func planFor(table string, rowType reflect.Type) (*plan, error) {
	key := planKey{table, rowType}
	if p, ok := plans.Load(key); ok {
		return p.(*plan), nil
	}
	p, err := newPlan(table, rowType)
	if err != nil {
		return nil, err
	}
	plans.Store(key, p)
	return p, nil
}

func newPlan(table string, rowType reflect.Type) (*plan, error) {
	var def *schemas.Table
	for _, t := range schemas.Tables() {
		if t.Name == table {
			def = &t
			break
		}
	}
	if def == nil {
		return nil, fmt.Errorf("sanitize: no table %q in schemas/tables", table)
	}
	if rowType == nil || rowType.Kind() != reflect.Struct {
		return nil, fmt.Errorf("sanitize: table %s: row type %v is not a struct", table, rowType)
	}
	return structPlan(table, def.Schema, rowType)
}

// structPlan is the plan of rowType, a struct holding cols: a row, or an
// element of a RECORD.
func structPlan(table string, cols []schemas.Column, rowType reflect.Type) (*plan, error) {
	fields := map[string]reflect.StructField{}
	for i := range rowType.NumField() {
		f := rowType.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("parquet"), ","); name != "" && name != "-" {
			fields[name] = f
		}
	}
	p := &plan{}
	for _, c := range cols {
		f, ok := fields[c.Name]
		if c.Type == "RECORD" {
			// A REPEATED record: a slice of structs (schemas checks it).
			if !ok || f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() != reflect.Struct {
				return nil, fmt.Errorf("sanitize: table %s: RECORD column %s has no slice-of-structs field in %v", table, c.Name, rowType)
			}
			sub, err := structPlan(table, c.Fields, f.Type.Elem())
			if err != nil {
				return nil, err
			}
			p.fields = append(p.fields, field{index: f.Index[0], record: sub})
			continue
		}
		if c.Type != "STRING" {
			continue
		}
		if c.MaxLength <= 0 {
			return nil, fmt.Errorf("sanitize: table %s: STRING column %s has no maxLength", table, c.Name)
		}
		list := c.Mode == "REPEATED"
		want := reflect.TypeFor[string]()
		if list {
			want = reflect.TypeFor[[]string]()
		}
		if !ok || f.Type != want {
			return nil, fmt.Errorf("sanitize: table %s: column %s has no %v field in %v", table, c.Name, want, rowType)
		}
		p.fields = append(p.fields, field{index: f.Index[0], limit: int(c.MaxLength), list: list})
	}
	return p, nil
}

// apply returns row sanitized, and whether anything changed. An unchanged
// row is returned as is; a changed one is a copy, so that a row another
// transform still holds (and a REPEATED column's backing array) is never
// written to.
func (p *plan) apply(row any) (any, bool) {
	v := reflect.ValueOf(row)
	var out reflect.Value
	for _, f := range p.fields {
		if f.record != nil {
			list := v.Field(f.index)
			var cleaned reflect.Value
			for i := range list.Len() {
				elem, changed := f.record.apply(list.Index(i).Interface())
				if !changed {
					continue
				}
				if !cleaned.IsValid() {
					cleaned = reflect.MakeSlice(list.Type(), list.Len(), list.Len())
					reflect.Copy(cleaned, list)
				}
				cleaned.Index(i).Set(reflect.ValueOf(elem))
			}
			if cleaned.IsValid() {
				out = copyOnce(out, v)
				out.Field(f.index).Set(cleaned)
			}
			continue
		}
		if f.list {
			list := v.Field(f.index)
			var cleaned []string
			for i := range list.Len() {
				s := list.Index(i).String()
				if ok(s, f.limit) {
					continue
				}
				if cleaned == nil {
					cleaned = append([]string(nil), list.Interface().([]string)...)
				}
				cleaned[i] = String(s, f.limit)
			}
			if cleaned != nil {
				out = copyOnce(out, v)
				out.Field(f.index).Set(reflect.ValueOf(cleaned))
			}
			continue
		}
		if s := v.Field(f.index).String(); !ok(s, f.limit) {
			out = copyOnce(out, v)
			out.Field(f.index).SetString(String(s, f.limit))
		}
	}
	if !out.IsValid() {
		return row, false
	}
	return out.Interface(), true
}

func copyOnce(out, v reflect.Value) reflect.Value {
	if out.IsValid() {
		return out
	}
	out = reflect.New(v.Type()).Elem()
	out.Set(v)
	return out
}

func ok(s string, limit int) bool { return len(s) <= limit && utf8.ValidString(s) }

// String returns s as valid UTF-8 (each run of invalid bytes replaced by
// U+FFFD) cut to at most limit bytes without splitting a character: the
// rule Rows applies to every column.
func String(s string, limit int) string {
	if ok(s, limit) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
