package duckvalues

import (
	"database/sql"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
)

func TestScanRowNormalizes(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT 1::TINYINT, 2::UINTEGER, 170141183460469231731687303715884105727::HUGEINT,
		1.25::DECIMAL(4, 2), 0.5::FLOAT, TIMESTAMPTZ '2026-12-04 10:00:00+02', '\x01'::BLOB,
		[1::SMALLINT, NULL], {'a': 3::INTEGER, 'b': [2::UTINYINT]}`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal("no row")
	}
	got, err := ScanRow(rows, 9)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), int64(2), 1.7014118346046923e38,
		1.25, 0.5, time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC), []byte{1},
		[]any{int64(1), nil}, map[string]any{"a": int64(3), "b": []any{int64(2)}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScanRow (-want +got):\n%s", diff)
	}
}
