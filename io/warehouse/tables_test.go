package warehouse

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/schemas"
)

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
		DeviceID: "d1", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "s",
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
