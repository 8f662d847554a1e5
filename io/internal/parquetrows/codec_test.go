package parquetrows

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/example/clickstream/schemas"
)

// The Parquet schema of every table's row type is the table's schema,
// column for column, in the types BigQuery loads and DuckDB reads.
func TestRowTypesMatchTables(t *testing.T) {
	for _, want := range schemas.Tables() {
		t.Run(want.Name, func(t *testing.T) {
			c, err := codecOf(want.Name)
			if err != nil {
				t.Fatal(err)
			}
			fields := c.schema.Fields()
			if len(fields) != len(want.Schema) {
				t.Errorf("the row type has %d columns, the table %d", len(fields), len(want.Schema))
			}
			for i, col := range want.Schema {
				if i >= len(fields) {
					break
				}
				f := fields[i]
				if f.Name() != col.Name {
					t.Errorf("column %d is %s, want %s", i, f.Name(), col.Name)
					continue
				}
				if got := mode(f); got != col.Mode {
					t.Errorf("%s is %s, want %s", col.Name, got, col.Mode)
				}
				if isList(f) {
					f = f.Fields()[0].Fields()[0] // LIST -> repeated group "list" -> "element"
				}
				if col.Type == "RECORD" {
					checkRecord(t, col, f)
					continue
				}
				if got := bigQueryType(f.Type()); got != col.Type {
					t.Errorf("%s is stored as %v (%s), want %s", col.Name, f.Type(), got, col.Type)
				}
			}
		})
	}
}

// checkRecord checks a RECORD's element group, elem, field by field.
func checkRecord(t *testing.T, col schemas.Column, elem parquet.Field) {
	t.Helper()
	if elem.Leaf() || len(elem.Fields()) != len(col.Fields) {
		t.Errorf("%s: element %v, want a group of %d fields", col.Name, elem.Type(), len(col.Fields))
		return
	}
	for i, sub := range col.Fields {
		f := elem.Fields()[i]
		if f.Name() != sub.Name || mode(f) != sub.Mode || bigQueryType(f.Type()) != sub.Type {
			t.Errorf("%s.%s: stored as %s %s %v, want %s %s", col.Name, sub.Name, f.Name(), mode(f), f.Type(), sub.Mode, sub.Type)
		}
	}
}

// isList reports whether f is a Parquet LIST, which BigQuery loads (with
// list inference) and DuckDB reads as a repeated column.
func isList(f parquet.Field) bool {
	lt := f.Type().LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(*format.ListType)
	return ok
}

func mode(f parquet.Field) string {
	switch {
	case f.Repeated() || isList(f):
		return "REPEATED"
	case f.Optional():
		return "NULLABLE"
	}
	return "REQUIRED"
}

// bigQueryType is the BigQuery type a Parquet leaf loads as, or "" when it
// would load as something this project does not use.
func bigQueryType(t parquet.Type) string {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch t.Kind() {
	case parquet.ByteArray:
		if _, ok := lt.(*format.StringType); ok {
			return "STRING"
		}
	case parquet.Int32:
		if _, ok := lt.(*format.DateType); ok {
			return "DATE"
		}
	case parquet.Int64:
		switch l := lt.(type) {
		case nil:
			return "INT64"
		case *format.IntType:
			if l.BitWidth == 64 && l.IsSigned {
				return "INT64"
			}
		case *format.TimestampType:
			if _, micros := l.Unit.Value.(*format.MicroSeconds); micros && l.IsAdjustedToUTC {
				return "TIMESTAMP"
			}
		}
	case parquet.Double:
		return "FLOAT64"
	case parquet.Boolean:
		return "BOOL"
	}
	return ""
}

// Dates are stored as days since the epoch, also outside the range of Unix
// nanoseconds and whatever the zone of the time.Time, in whichever form a
// row reaches the Writer: a value of the row type (parquet-go's typed
// writer), a value of a look-alike struct type, or a Parquet row.
func TestDateEncoding(t *testing.T) {
	c, err := codecOf("dead_letter")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date time.Time
		days int32
	}{
		{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 20758},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), -1},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), 120530},
		{time.Date(2026, 11, 1, 23, 30, 0, 0, time.FixedZone("UTC-7", -7*60*60)), 20759},
	}
	type lookAlike schemas.DeadLetter
	forms := map[string]func(w *Writer, row schemas.DeadLetter) error{
		"value":       func(w *Writer, row schemas.DeadLetter) error { return w.Write(row) },
		"look-alike":  func(w *Writer, row schemas.DeadLetter) error { return w.Write(lookAlike(row)) },
		"parquet row": func(w *Writer, row schemas.DeadLetter) error { return w.WriteRow(c.encode(nil, row)) },
	}
	for name, write := range forms {
		t.Run(name, func(t *testing.T) {
			var rows []schemas.DeadLetter
			for _, tt := range tests {
				rows = append(rows, schemas.DeadLetter{DeadLetterDate: tt.date})
			}
			stored := writeAndRead(t, "dead_letter", rows, write)
			for i, tt := range tests {
				if v := stored[i][0]; v.Kind() != parquet.Int32 || v.Int32() != tt.days || v.Column() != 0 {
					t.Errorf("%v: dead_letter_date = %v (%v, column %d), want INT32 %d", tt.date, v, v.Kind(), v.Column(), tt.days)
				}
			}
		})
	}
}

// An optional DATE column holds NULL for a zero time and the day otherwise.
func TestOptionalDateEncoding(t *testing.T) {
	c, err := codecOf("runs")
	if err != nil {
		t.Fatal(err)
	}
	first, last := c.dates[1].column, c.dates[2].column
	day := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	rows := []schemas.Run{{RunDate: day, FirstDate: day}, {RunDate: day, LastDate: day}}
	stored := writeAndRead(t, "runs", rows, func(w *Writer, row schemas.Run) error { return w.Write(row) })
	want := [][2]string{{"20758", "NULL"}, {"NULL", "20758"}}
	for i, row := range stored {
		got := [2]string{show(row[Index(row, first)]), show(row[Index(row, last)])}
		if got != want[i] {
			t.Errorf("row %d: first_date, last_date = %v, want %v", i, got, want[i])
		}
	}
}

// An optional column holds NULL exactly for the empty values, whatever the
// runs of empty and set values around them. Given a batch, parquet-go's
// GenericWriter stores as values the empty ones of a 64-row word that holds
// y empty, y set and then only empty values (parquet-go#154); in every
// table, each optional string and int64 column below holds every such word
// (at a different row for each column), then random ones.
func TestOptionalNulls(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, table := range schemas.Tables() {
		t.Run(table.Name, func(t *testing.T) {
			rowType, err := schemas.RowType(table.Name)
			if err != nil {
				t.Fatal(err)
			}
			c, err := codecOf(table.Name)
			if err != nil {
				t.Fatal(err)
			}
			type column struct {
				field int
				leaf  int
			}
			var columns []column
			for i := range rowType.NumField() {
				f := rowType.Field(i)
				name, options, _ := strings.Cut(f.Tag.Get("parquet"), ",")
				kind := f.Type.Kind()
				if !strings.Contains(options, "optional") || kind != reflect.String && kind != reflect.Int64 {
					continue
				}
				leaf, ok := c.schema.Lookup(name)
				if !ok {
					t.Fatalf("no column %s", name)
				}
				columns = append(columns, column{field: i, leaf: leaf.ColumnIndex})
			}
			random := rand.New(rand.NewPCG(1, 2))
			set := make([][]bool, 64*64) // row, column
			rows := make([]any, len(set))
			for i := range rows {
				row := reflect.New(rowType).Elem()
				for j := range rowType.NumField() {
					if f := row.Field(j); f.Type() == reflect.TypeFor[time.Time]() {
						f.Set(reflect.ValueOf(day)) // a required DATE must be a date
					}
				}
				set[i] = make([]bool, len(columns))
				for k, col := range columns {
					word, bit := i/64, i%64
					y := (word + k) % 32
					if word < 32 && bit >= y && bit < 2*y || word >= 32 && random.IntN(2) == 0 {
						set[i][k] = true
						if f := row.Field(col.field); f.Kind() == reflect.String {
							f.SetString(fmt.Sprintf("v%d", i))
						} else {
							f.SetInt(int64(i + 1))
						}
					}
				}
				rows[i] = row.Interface()
			}
			stored := writeAndRead(t, table.Name, rows, func(w *Writer, row any) error { return w.Write(row) })
			for i, row := range stored {
				for k, col := range columns {
					if v := row[Index(row, col.leaf)]; v.IsNull() == set[i][k] {
						t.Errorf("row %d: column %d = %s, set %v", i, col.leaf, show(v), set[i][k])
					}
				}
			}
		})
	}
}

func show(v parquet.Value) string {
	if v.IsNull() {
		return "NULL"
	}
	return v.String()
}

// writeAndRead writes rows to a file of table with write and returns the
// file's rows in their Parquet form.
func writeAndRead[T any](t *testing.T, table string, rows []T, write func(*Writer, T) error) []parquet.Row {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, table)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if err := write(w, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := parquet.NewReader(bytes.NewReader(buf.Bytes()))
	defer r.Close()
	stored := make([]parquet.Row, len(rows))
	if n, err := r.ReadRows(stored); n != len(rows) {
		t.Fatalf("read %d rows of %d: %v", n, len(rows), err)
	}
	return stored
}
