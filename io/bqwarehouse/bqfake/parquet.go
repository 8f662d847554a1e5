package bqfake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	bqv2 "google.golang.org/api/bigquery/v2"
)

// column binds a Parquet leaf column to the table column it loads into.
type column struct {
	name     string // the table's column name
	leaf     parquet.LeafColumn
	typ      string // the BigQuery type the file's column loads as
	repeated bool
	required bool // the table's column is REQUIRED
	optional bool // a repeated column's elements may be null
	// fields are the columns of a REPEATED RECORD's elements (a LIST of
	// groups), whose leaves hold one value per element.
	fields []column
}

// decodeParquet reads a Parquet file into rows of the table's columns, and
// fails as a BigQuery load does when the file does not fit the table: a
// column the table lacks, another type or an incompatible mode, a REQUIRED
// column missing or NULL, a NULL array element.
func decodeParquet(data []byte, schema *bqv2.TableSchema, listInference bool) ([]map[string]any, error) {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	cols, missing, err := bind(f.Schema(), schema, listInference)
	if err != nil {
		return nil, err
	}
	r := parquet.NewReader(f)
	defer func() { _ = r.Close() }() // a read: errors surface in ReadRows
	var out []map[string]any
	buf := make([]parquet.Row, 256)
	values := make([][]parquet.Value, len(f.Schema().Columns()))
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			clear(values)
			row.Range(func(i int, v []parquet.Value) bool {
				values[i] = v
				return true
			})
			m, err := decodeRow(values, cols, missing)
			if err != nil {
				return nil, fmt.Errorf("row %d: %w", len(out)+1, err)
			}
			out = append(out, m)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// bind matches the file's top-level columns to the table's by name (case
// insensitively, as BigQuery does) and returns the table columns the file
// does not have.
func bind(file *parquet.Schema, schema *bqv2.TableSchema, listInference bool) ([]column, []*bqv2.TableFieldSchema, error) {
	byName := map[string]*bqv2.TableFieldSchema{}
	for _, f := range schema.Fields {
		byName[strings.ToLower(f.Name)] = f
	}
	var cols []column
	seen := map[string]bool{}
	for _, ff := range file.Fields() {
		tf, ok := byName[strings.ToLower(ff.Name())]
		if !ok {
			return nil, nil, failf("invalid", "Provided Schema does not match Table. Cannot add fields (field: %s)", ff.Name())
		}
		seen[strings.ToLower(ff.Name())] = true
		typ, mode, path, optional := describe(ff, listInference)
		if typ != legacyType(tf.Type) {
			return nil, nil, failf("invalid", "Provided Schema does not match Table. Field %s has changed type from %s to %s", tf.Name, legacyType(tf.Type), typ)
		}
		if mode != tf.Mode && (mode == "REPEATED" || tf.Mode != "NULLABLE") {
			return nil, nil, failf("invalid", "Provided Schema does not match Table. Field %s has changed mode from %s to %s", tf.Name, tf.Mode, mode)
		}
		if typ == "RECORD" && mode == "REPEATED" {
			c, err := bindRecord(file, ff, tf)
			if err != nil {
				return nil, nil, err
			}
			cols = append(cols, c)
			continue
		}
		leaf, ok := file.Lookup(path...)
		if !ok {
			return nil, nil, fmt.Errorf("column %s: no leaf %v", ff.Name(), path)
		}
		cols = append(cols, column{
			name: tf.Name, leaf: leaf, typ: typ,
			repeated: mode == "REPEATED", required: tf.Mode == "REQUIRED", optional: optional,
		})
	}
	var missing []*bqv2.TableFieldSchema
	for _, tf := range schema.Fields {
		if seen[strings.ToLower(tf.Name)] {
			continue
		}
		if tf.Mode == "REQUIRED" {
			return nil, nil, failf("invalid", "Provided Schema does not match Table. Field %s is missing in new schema", tf.Name)
		}
		missing = append(missing, tf)
	}
	return cols, missing, nil
}

// bindRecord binds a LIST of groups (with list inference) to a REPEATED
// RECORD column: each field of the group to the record's field of its name,
// which must have its type; the record's REQUIRED fields must be there.
func bindRecord(file *parquet.Schema, ff parquet.Field, tf *bqv2.TableFieldSchema) (column, error) {
	list := ff.Fields()[0]
	elem := list.Fields()[0]
	byName := map[string]*bqv2.TableFieldSchema{}
	for _, f := range tf.Fields {
		byName[strings.ToLower(f.Name)] = f
	}
	c := column{name: tf.Name, typ: "RECORD", repeated: true}
	seen := map[string]bool{}
	for _, sub := range elem.Fields() {
		sf, ok := byName[strings.ToLower(sub.Name())]
		if !ok || !sub.Leaf() || sub.Repeated() {
			return c, failf("invalid", "Provided Schema does not match Table. Cannot add fields (field: %s.%s)", tf.Name, sub.Name())
		}
		seen[strings.ToLower(sub.Name())] = true
		if typ := leafType(sub.Type()); typ != legacyType(sf.Type) {
			return c, failf("invalid", "Provided Schema does not match Table. Field %s.%s has changed type from %s to %s", tf.Name, sf.Name, legacyType(sf.Type), typ)
		}
		if sub.Optional() && sf.Mode == "REQUIRED" {
			return c, failf("invalid", "Provided Schema does not match Table. Field %s.%s has changed mode from REQUIRED to NULLABLE", tf.Name, sf.Name)
		}
		leaf, ok := file.Lookup(ff.Name(), list.Name(), elem.Name(), sub.Name())
		if !ok {
			return c, fmt.Errorf("column %s: no leaf %s", tf.Name, sub.Name())
		}
		c.fields = append(c.fields, column{
			name: sf.Name, leaf: leaf, typ: leafType(sub.Type()), required: sf.Mode == "REQUIRED", optional: sub.Optional(),
		})
	}
	for _, sf := range tf.Fields {
		if !seen[strings.ToLower(sf.Name)] && sf.Mode == "REQUIRED" {
			return c, failf("invalid", "Provided Schema does not match Table. Field %s.%s is missing in new schema", tf.Name, sf.Name)
		}
	}
	return c, nil
}

// describe is how BigQuery loads a top-level Parquet field: its type and
// mode, the path of its leaf, and whether that leaf (a list element) may
// be null. A LIST loads as a REPEATED column only with list inference;
// otherwise as a RECORD.
func describe(f parquet.Field, listInference bool) (typ, mode string, path []string, optional bool) {
	if isList(f) && listInference {
		list := f.Fields()[0]
		elem := list.Fields()[0]
		if !elem.Leaf() {
			return "RECORD", "REPEATED", nil, false
		}
		return leafType(elem.Type()), "REPEATED", []string{f.Name(), list.Name(), elem.Name()}, elem.Optional()
	}
	switch {
	case !f.Leaf():
		typ = "RECORD"
	default:
		typ = leafType(f.Type())
	}
	switch {
	case f.Repeated():
		mode = "REPEATED"
	case f.Optional():
		mode = "NULLABLE"
	default:
		mode = "REQUIRED"
	}
	return typ, mode, []string{f.Name()}, false
}

func isList(f parquet.Field) bool {
	lt := f.Type().LogicalType()
	if lt == nil || f.Leaf() {
		return false
	}
	_, ok := lt.Value.(*format.ListType)
	return ok && len(f.Fields()) == 1 && f.Fields()[0].Repeated() && len(f.Fields()[0].Fields()) == 1
}

// leafType is the BigQuery type a Parquet leaf loads as.
func leafType(t parquet.Type) string {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch t.Kind() {
	case parquet.Boolean:
		return "BOOLEAN"
	case parquet.Int32:
		switch lt.(type) {
		case *format.DateType:
			return "DATE"
		case nil, *format.IntType:
			return "INTEGER"
		}
	case parquet.Int64:
		switch l := lt.(type) {
		case *format.TimestampType:
			if l.IsAdjustedToUTC {
				return "TIMESTAMP"
			}
			return "DATETIME"
		case nil, *format.IntType:
			return "INTEGER"
		}
	case parquet.Float, parquet.Double:
		return "FLOAT"
	case parquet.ByteArray:
		switch lt.(type) {
		case *format.StringType:
			return "STRING"
		case nil:
			return "BYTES"
		}
	}
	return "unsupported Parquet type " + t.String()
}

func decodeRow(values [][]parquet.Value, cols []column, missing []*bqv2.TableFieldSchema) (map[string]any, error) {
	m := make(map[string]any, len(cols)+len(missing))
	for _, c := range cols {
		if c.fields != nil {
			list, err := decodeRecords(values, c)
			if err != nil {
				return nil, err
			}
			m[c.name] = list
			continue
		}
		vs := values[c.leaf.ColumnIndex]
		if !c.repeated {
			if len(vs) == 0 || vs[0].IsNull() {
				if c.required {
					return nil, failf("invalid", "Required field %s cannot be null", c.name)
				}
				m[c.name] = nil
				continue
			}
			v, err := convert(vs[0], c)
			if err != nil {
				return nil, err
			}
			m[c.name] = v
			continue
		}
		list := []any{}
		for _, v := range vs {
			switch {
			case v.DefinitionLevel() == c.leaf.MaxDefinitionLevel:
				x, err := convert(v, c)
				if err != nil {
					return nil, err
				}
				list = append(list, x)
			case c.optional && v.DefinitionLevel() == c.leaf.MaxDefinitionLevel-1:
				return nil, failf("invalid", "Array %s cannot have a null element", c.name)
			}
		}
		m[c.name] = list
	}
	for _, f := range missing {
		if f.Mode == "REPEATED" {
			m[f.Name] = []any{}
		} else {
			m[f.Name] = nil
		}
	}
	return m, nil
}

// decodeRecords reads a REPEATED RECORD of one row: a []any of
// map[string]any, one per list element, with every field of the record (a
// field the file lacks is NULL).
func decodeRecords(values [][]parquet.Value, c column) ([]any, error) {
	var list []any
	for _, f := range c.fields {
		// An element exists where the definition level reaches the
		// element's group: one below the maximum for a NULLABLE field.
		exists := f.leaf.MaxDefinitionLevel
		if f.optional {
			exists--
		}
		n := 0
		for _, v := range values[f.leaf.ColumnIndex] {
			if v.DefinitionLevel() < exists {
				continue
			}
			if n == len(list) {
				list = append(list, map[string]any{})
			}
			elem := list[n].(map[string]any)
			n++
			if v.IsNull() {
				if f.required {
					return nil, failf("invalid", "Required field %s.%s cannot be null", c.name, f.name)
				}
				elem[f.name] = nil
				continue
			}
			x, err := convert(v, f)
			if err != nil {
				return nil, err
			}
			elem[f.name] = x
		}
	}
	if list == nil {
		list = []any{}
	}
	return list, nil
}

// convert is the value of a non-null Parquet value in the column's type.
func convert(v parquet.Value, c column) (any, error) {
	switch c.typ {
	case "BOOLEAN":
		return v.Boolean(), nil
	case "INTEGER":
		if v.Kind() == parquet.Int32 {
			return int64(v.Int32()), nil
		}
		return v.Int64(), nil
	case "FLOAT":
		if v.Kind() == parquet.Float {
			return float64(v.Float()), nil
		}
		return v.Double(), nil
	case "STRING":
		return string(v.ByteArray()), nil
	case "BYTES":
		return bytes.Clone(v.ByteArray()), nil
	case "DATE":
		return time.Unix(int64(v.Int32())*24*60*60, 0).UTC(), nil
	case "TIMESTAMP", "DATETIME":
		ts := c.leaf.Node.Type().LogicalType().Value.(*format.TimestampType)
		switch ts.Unit.Value.(type) {
		case *format.MilliSeconds:
			return time.UnixMilli(v.Int64()).UTC(), nil
		case *format.MicroSeconds:
			return time.UnixMicro(v.Int64()).UTC(), nil
		case *format.NanoSeconds:
			return time.Unix(0, v.Int64()).UTC(), nil
		}
	}
	return nil, fmt.Errorf("column %s: cannot read %s values", c.name, c.typ)
}
