package warehouse

import (
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/example/clickstream/schemas"
)

// Every table of schemas/tables has a row type here, and the Parquet schema
// of that type is the table's schema, column for column, in the types
// BigQuery loads and DuckDB reads.
func TestRowTypesMatchTables(t *testing.T) {
	var names []string
	for _, want := range schemas.Tables() {
		names = append(names, want.Name)
		t.Run(want.Name, func(t *testing.T) {
			tbl, err := lookupTable(want.Name)
			if err != nil {
				t.Fatal(err)
			}
			fields := tbl.codec.schema.Fields()
			if len(fields) != len(want.Schema) {
				t.Errorf("%v has %d columns, the table %d", tbl.rowType, len(fields), len(want.Schema))
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
			if tbl.column != want.TimePartitioning.Field {
				t.Errorf("partitioned by %q, the table by %q", tbl.column, want.TimePartitioning.Field)
			}
			if !tbl.partitioned() {
				return
			}
			if c, ok := want.Column(tbl.column); !ok || c.Type != "DATE" || c.Mode != "REQUIRED" {
				t.Errorf("partition column %s is %+v, want a REQUIRED DATE", tbl.column, c)
			}
		})
	}
	if !slices.Equal(names, tableNames()) {
		t.Errorf("warehouse tables %v, schemas/tables has %v", tableNames(), names)
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

// rawRows reads a partition's rows as Parquet values, by column name.
func rawRows(t *testing.T, out, table string, date time.Time) []map[string]parquet.Value {
	t.Helper()
	tbl, err := lookupTable(table)
	if err != nil {
		t.Fatal(err)
	}
	files, err := partFiles(finalDir(out, table, partitionName(tbl.column, date)))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files for %s %v: %v", table, date, err)
	}
	var rows []map[string]parquet.Value
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r := parquet.NewReader(f)
		names := r.Schema().Columns()
		buf := make([]parquet.Row, 16)
		for {
			n, err := r.ReadRows(buf)
			for _, row := range buf[:n] {
				m := make(map[string]parquet.Value)
				for _, v := range row {
					m[names[v.Column()][0]] = v.Clone()
				}
				rows = append(rows, m)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
		f.Close()
	}
	return rows
}

// Optional strings that are empty, nil pointers and zero optional times are
// NULL; 0.0 stays 0.0; required strings stay "" (not NULL).
func TestNulls(t *testing.T) {
	out := t.TempDir()
	e := schemas.Event{
		EventID: "e1", EventDate: day1, EventTime: day1.Add(time.Hour), CreatedAt: day1.Add(time.Hour),
		DeviceID: "d1", TrafficClass: "direct", DeviceType: "desktop", Source: "s",
		Price: ptr(0.0), Quantity: ptr(int64(0)),
	}
	d := schemas.DeadLetter{DeadLetterDate: day1, Reason: "bad_json", Payload: "{"}
	stage(t, out, "run-1", "fact_events", []any{e})
	stage(t, out, "run-1", "dead_letter", []any{d})
	mustCommit(t, out, "run-1", nil)

	rows := rawRows(t, out, "fact_events", day1)
	if len(rows) != 1 {
		t.Fatalf("read %d rows, want 1", len(rows))
	}
	row := rows[0]
	for _, col := range []string{"sent_at", "received_at", "user_key", "client_session_id", "platform",
		"page_url", "utm_source", "referrer", "user_agent", "ip", "product_id", "revenue", "currency", "order_id"} {
		if !row[col].IsNull() {
			t.Errorf("fact_events.%s = %v, want NULL", col, row[col])
		}
	}
	if v := row["price"]; v.IsNull() || v.Double() != 0 {
		t.Errorf("price = %v, want 0.0", v)
	}
	if v := row["quantity"]; v.IsNull() || v.Int64() != 0 {
		t.Errorf("quantity = %v, want 0", v)
	}
	for _, col := range []string{"event_type", "time_source"} {
		if v := row[col]; v.IsNull() || len(v.ByteArray()) != 0 {
			t.Errorf("required %s = %v, want an empty string", col, v)
		}
	}
	if v := row["event_date"]; v.Kind() != parquet.Int32 || v.Int32() != 20758 {
		t.Errorf("event_date = %v (%v), want INT32 20758 (2026-11-01)", v, v.Kind())
	}
	if v := row["event_time"]; v.Int64() != day1.Add(time.Hour).UnixMicro() {
		t.Errorf("event_time = %v, want %d µs", v, day1.Add(time.Hour).UnixMicro())
	}

	dl := rawRows(t, out, "dead_letter", day1)[0]
	for _, col := range []string{"attributes", "event_id", "device_id"} {
		if !dl[col].IsNull() {
			t.Errorf("dead_letter.%s = %v, want NULL", col, dl[col])
		}
	}
	if v := dl["detail"]; v.IsNull() {
		t.Error("required dead_letter.detail is NULL, want an empty string")
	}

	got, err := ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got, []schemas.Event{e}, cmpopts.EquateEmpty()) { // an empty list reads back empty, not nil
		t.Errorf("read back\n%+v\nwant\n%+v", got, e)
	}
}

// Dates are stored as days since the epoch, also outside the range of Unix
// nanoseconds, and whatever the zone of the time.Time.
func TestDateEncoding(t *testing.T) {
	tbl, err := lookupTable("dead_letter")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date time.Time
		days int32
	}{
		{day1, 20758},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), -1},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), 120530},
		{time.Date(2026, 11, 1, 23, 30, 0, 0, time.FixedZone("UTC-7", -7*60*60)), 20759},
	}
	for _, tt := range tests {
		row := tbl.codec.encode(nil, schemas.DeadLetter{DeadLetterDate: tt.date})
		if v := row[0]; v.Kind() != parquet.Int32 || v.Int32() != tt.days || v.Column() != 0 {
			t.Errorf("%v: dead_letter_date = %v (%v, column %d), want INT32 %d", tt.date, v, v.Kind(), v.Column(), tt.days)
		}
	}
}
