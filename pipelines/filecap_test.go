package pipelines

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// TestFileCapInSummary reads a flood of tiny records past --max_file_records
// beside a file of valid events: the flood's first records are read, its
// rest is one file_too_large dead letter recording what was skipped, the
// run goes on, reconciles, and its summary shows the reason.
func TestFileCapInSummary(t *testing.T) {
	dir := t.TempDir()
	writeRaw(t, dir,
		raw("e1", "page_view", "d1", "", "2026-11-01T10:00:00Z"),
		raw("e2", "page_view", "d1", "", "2026-11-01T10:01:00Z"))
	// 5000 lines "{}" of 3 bytes: the cap of 1000 records falls at line 1001.
	flood := filepath.Join(dir, "raw", "dt=2026-11-01", "part-001.jsonl")
	if err := os.WriteFile(flood, []byte(strings.Repeat("{}\n", 5000)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLICKSTREAM_CAP_KEY", "cap-test-key")
	c := Config{
		Input: []string{filepath.Join(dir, "raw", "*", "*")}, Output: t.TempDir(),
		HashKeyRef: "env:CLICKSTREAM_CAP_KEY", Shards: 2, MaxFileRecords: 1000,
	}
	sum := runReconciled(t, c)
	if sum.InputRecords != 2+1000+1 || sum.Events != 2 {
		t.Errorf("input_records %d, events %d; want 2 events + 1000 flood records + 1 cap record, 2 events", sum.InputRecords, sum.Events)
	}
	if sum.DeadLetter[schemas.ReasonFileTooLarge] != 1 || sum.DeadLetter[schemas.ReasonMissingEventID] != 1000 {
		t.Errorf("dead letters by reason %v, want 1 %s and 1000 %s", sum.DeadLetter, schemas.ReasonFileTooLarge, schemas.ReasonMissingEventID)
	}
	var b strings.Builder
	sum.Print(&b)
	if !strings.Contains(b.String(), schemas.ReasonFileTooLarge) {
		t.Errorf("the printed summary does not show %s:\n%s", schemas.ReasonFileTooLarge, b.String())
	}
	dead, err := warehouse.ReadRows[schemas.DeadLetter](c.Output, "dead_letter", nil)
	if err != nil {
		t.Fatal(err)
	}
	var capped []schemas.DeadLetter
	for _, d := range dead {
		if d.Reason == schemas.ReasonFileTooLarge {
			capped = append(capped, d)
		}
	}
	if len(capped) != 1 {
		t.Fatalf("%d file_too_large rows, want 1", len(capped))
	}
	d := capped[0]
	if d.Source != flood || d.SourceLine != 1001 || d.PayloadBytes != 3*(5000-1001) ||
		!strings.Contains(d.Detail, "skipped that line and 3999 more lines") {
		t.Errorf("file_too_large row: %s line %d, %d bytes, %q; want %s line 1001, %d bytes not read, 3999 lines after it",
			d.Source, d.SourceLine, d.PayloadBytes, d.Detail, flood, 3*(5000-1001))
	}
}
