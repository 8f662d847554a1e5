package parquetrows

import (
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
// nanoseconds, and whatever the zone of the time.Time.
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
	for _, tt := range tests {
		row := c.encode(nil, schemas.DeadLetter{DeadLetterDate: tt.date})
		if v := row[0]; v.Kind() != parquet.Int32 || v.Int32() != tt.days || v.Column() != 0 {
			t.Errorf("%v: dead_letter_date = %v (%v, column %d), want INT32 %d", tt.date, v, v.Kind(), v.Column(), tt.days)
		}
	}
}
