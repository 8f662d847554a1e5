package warehouse

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestCountRowsDamagedPage checks that the read-back decodes the pages
// rather than trusting the footer: a file whose footer is intact but one of
// whose pages is overwritten is an error naming the file.
func TestCountRowsDamagedPage(t *testing.T) {
	out := t.TempDir()
	if err := Stage(out, "run-1", "fact_events", makeEvents("a", day1, 0, 50)); err != nil {
		t.Fatal(err)
	}
	if _, err := CommitScope(out, "run-1", Scope{"fact_events": {day1}}); err != nil {
		t.Fatal(err)
	}
	if n, err := CountRows(out, "fact_events", nil); err != nil || n[day1] != 50 {
		t.Fatalf("CountRows before the damage = %v, %v; want 50 rows", n, err)
	}

	files, err := filepath.Glob(filepath.Join(out, "fact_events", "*", "*.parquet"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v, %v; want one", files, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	leaf, ok := pf.Schema().Lookup("event_id")
	if !ok {
		t.Fatal("no event_id column")
	}
	page := pf.Metadata().RowGroups[0].Columns[leaf.ColumnIndex].MetaData.DataPageOffset
	copy(data[page:], bytes.Repeat([]byte{0xff}, 16)) // the page's header
	if err := os.WriteFile(files[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("the footer was damaged too: %v", err)
	}

	n, err := CountRows(out, "fact_events", nil)
	if err == nil || !strings.Contains(err.Error(), files[0]) {
		t.Errorf("CountRows after the damage = %v, %v; want an error naming %s", n, err, files[0])
	}
}
