package parquetrows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/schemas"
)

// copySessions are n fact_sessions rows whose optional, NULL and repeated
// values vary from row to row, ids prefixed with prefix.
func copySessions(prefix string, n int) []schemas.Session {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]schemas.Session, n)
	for i := range rows {
		s := schemas.Session{SessionID: fmt.Sprintf("%s-%d", prefix, i), SessionDate: day, DeviceID: fmt.Sprintf("d-%d", i%97),
			SessionStart: day.Add(time.Duration(i) * time.Second), SessionEnd: day.Add(time.Duration(i+60) * time.Second),
			TrafficSource: "(direct)", TrafficMedium: "(none)", TrafficCampaign: "(none)", DefaultChannelGroup: "Direct",
			DeviceType: "desktop", EventCount: int64(i % 13), Version: int64(i % 3)}
		if i%4 == 0 {
			s.ResolvedUserKey = fmt.Sprintf("old-%d", i)
		}
		if i%5 == 0 {
			revenue := float64(i) / 4
			s.Revenue = &revenue
			s.RevenueByCurrency = []schemas.CurrencyRevenue{{Currency: "EUR", Revenue: revenue, Purchases: 1}}
		}
		for p := range i % 4 {
			s.PagePathSequence = append(s.PagePathSequence, fmt.Sprintf("/p/%d", p))
		}
		rows[i] = s
	}
	return rows
}

// sessionsFile is rows written as one fact_sessions file.
func sessionsFile(t testing.TB, rows []schemas.Session) *parquet.File {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, "fact_sessions")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// CopyRowGroup copies every value as stored except the replaced ones
// (strings and NULLs), fills row groups up to 16Ki rows without splitting
// a source's, cuts pages as writing does, and refuses to mix with Write.
func TestCopyRowGroup(t *testing.T) {
	schema, err := Schema("fact_sessions")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := schema.Lookup("resolved_user_key")
	col := leaf.ColumnIndex
	var sources []*parquet.File
	var want []schemas.Session
	for _, f := range []struct {
		prefix string
		rows   int
	}{{"a", maxRowsPerRowGroup + 3616}, {"b", 5000}, {"c", 9000}} {
		rows := copySessions(f.prefix, f.rows)
		sources = append(sources, sessionsFile(t, rows))
		want = append(want, rows...)
	}

	var buf bytes.Buffer
	w, err := NewWriter(&buf, "fact_sessions")
	if err != nil {
		t.Fatal(err)
	}
	at := 0 // the index in want of the row group's first row
	for _, f := range sources {
		for _, rg := range f.RowGroups() {
			set := map[int]parquet.Value{}
			for r := range int(rg.NumRows()) {
				switch i := at + r; {
				case i%7 == 0:
					want[i].ResolvedUserKey = fmt.Sprintf("new-%d", i)
					set[r] = parquet.ByteArrayValue([]byte(want[i].ResolvedUserKey)).Level(0, leaf.MaxDefinitionLevel, col)
				case i%11 == 0:
					want[i].ResolvedUserKey = ""
					set[r] = parquet.NullValue().Level(0, leaf.MaxDefinitionLevel-1, col)
				}
			}
			if err := w.CopyRowGroup(rg, col, set); err != nil {
				t.Fatal(err)
			}
			at += int(rg.NumRows())
		}
	}
	if err := w.Write(want[0]); err == nil {
		t.Error("Write after CopyRowGroup returned no error")
	}
	if w.Rows() != int64(len(want)) {
		t.Errorf("Rows() = %d, want %d", w.Rows(), len(want))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	out, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var groups []int64
	for _, rg := range out.RowGroups() {
		groups = append(groups, rg.NumRows())
	}
	if want := []int64{maxRowsPerRowGroup, 3616 + 5000, 9000}; !cmp.Equal(groups, want) {
		t.Errorf("row groups of %v rows, want %v", groups, want)
	}
	if got, want := countPages(t, out.RowGroups()[0]), countPages(t, sources[0].RowGroups()[0]); got != want {
		t.Errorf("the first row group's columns have %d pages, want %d as written", got, want)
	}
	got, err := parquet.Read[schemas.Session](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("the copy holds %d rows, want %d", len(got), len(want))
	}
	for i := range got {
		// cmp.Diff of the whole slices takes seconds; a list reads back
		// empty, not nil.
		if !reflect.DeepEqual(nilIfEmpty(got[i]), want[i]) {
			t.Fatalf("copied row %d (-want +got):\n%s", i, cmp.Diff(want[i], got[i], cmpopts.EquateEmpty()))
		}
	}

	mixed, err := NewWriter(&bytes.Buffer{}, "fact_sessions")
	if err != nil {
		t.Fatal(err)
	}
	if err := mixed.Write(want[0]); err != nil {
		t.Fatal(err)
	}
	if err := mixed.CopyRowGroup(sources[1].RowGroups()[0], col, nil); err == nil {
		t.Error("CopyRowGroup after Write returned no error")
	}
	mixed.Discard()

	other, err := NewWriter(&bytes.Buffer{}, "dead_letter")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.CopyRowGroup(sources[1].RowGroups()[0], col, nil); err == nil {
		t.Error("copying a fact_sessions row group into a dead_letter file returned no error")
	}
	other.Discard()
}

// countPages is the number of pages of rg's columns.
func countPages(t *testing.T, rg parquet.RowGroup) int {
	t.Helper()
	n := 0
	for _, chunk := range rg.ColumnChunks() {
		pages := chunk.Pages()
		for {
			if _, err := pages.ReadPage(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if err := pages.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// nilIfEmpty is s with its empty lists nil, as copySessions makes them.
func nilIfEmpty(s schemas.Session) schemas.Session {
	if len(s.PagePathSequence) == 0 {
		s.PagePathSequence = nil
	}
	if len(s.RevenueByCurrency) == 0 {
		s.RevenueByCurrency = nil
	}
	return s
}

// BenchmarkCopy copies a file of 34k fact_sessions rows (copySessions) with
// one column set in one row in 25, as the dimension step resolves
// sessions: column by column with CopyRowGroup, and as rows read with
// parquet-go's reader and written with WriteRow, each changed in place.
func BenchmarkCopy(b *testing.B) {
	rows := slices.Concat(copySessions("a", maxRowsPerRowGroup), copySessions("b", maxRowsPerRowGroup), copySessions("c", 1000))
	src := sessionsFile(b, rows)
	leaf, _ := src.Schema().Lookup("resolved_user_key")
	value := parquet.ByteArrayValue([]byte("u-resolved")).Level(0, leaf.MaxDefinitionLevel, leaf.ColumnIndex)
	copies := []struct {
		name string
		copy func(w *Writer) error
	}{
		{"columns", func(w *Writer) error {
			for _, rg := range src.RowGroups() {
				set := map[int]parquet.Value{}
				for r := 0; r < int(rg.NumRows()); r += 25 {
					set[r] = value
				}
				if err := w.CopyRowGroup(rg, leaf.ColumnIndex, set); err != nil {
					return err
				}
			}
			return nil
		}},
		{"rows", func(w *Writer) error {
			r := parquet.NewReader(src)
			defer func() { _ = r.Close() }()
			batch := make([]parquet.Row, 1024)
			for i := 0; ; {
				n, err := r.ReadRows(batch)
				for _, row := range batch[:n] {
					if i%25 == 0 {
						row[Index(row, leaf.ColumnIndex)] = value
					}
					if err := w.WriteRow(row); err != nil {
						return err
					}
					i++
				}
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
			}
		}},
	}
	for _, c := range copies {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w, err := NewWriter(io.Discard, "fact_sessions")
				if err != nil {
					b.Fatal(err)
				}
				if err := c.copy(w); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
