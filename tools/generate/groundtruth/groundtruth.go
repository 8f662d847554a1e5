// Package groundtruth runs the generator (tools/generate) and reads its
// truth file, for tests that check the pipeline against it. Like the
// generator, it imports nothing of the pipeline: the truth stays independent
// of the code under test.
package groundtruth

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Record is one line of truth.jsonl.gz: what the pipeline must do with one
// input record (see tools/generate/README.md).
type Record struct {
	File           string    `json:"file"`
	Line           int64     `json:"line"`
	Index          int64     `json:"index"`
	EventID        string    `json:"event_id"`
	DeviceID       string    `json:"device_id"`
	UserID         *string   `json:"user_id"`
	PersonID       string    `json:"person_id"`
	Outcome        string    `json:"outcome"`
	BotRule        string    `json:"bot_rule"`
	Reason         string    `json:"reason"`
	EventTime      time.Time `json:"event_time"`
	EventDate      string    `json:"event_date"`
	DeadLetterDate string    `json:"dead_letter_date"`
	Session        string    `json:"session"`
	// Properties are the custom fields an accepted event was sent with (a
	// JSON object, keys sorted), absent when none.
	Properties json.RawMessage `json:"properties"`
	// ItemCount is how many line items an accepted event was sent with.
	ItemCount int `json:"item_count"`
}

// Key identifies the input record: file (relative to the data directory),
// line and position in the beacon.
func (r Record) Key() string { return fmt.Sprintf("%s:%d:%d", r.File, r.Line, r.Index) }

// Generate builds the generator and writes a sample into dir with the given
// flags (e.g. "--seed", "11", "--events", "40000").
func Generate(t testing.TB, dir string, flags ...string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "generate")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/example/clickstream/tools/generate").CombinedOutput(); err != nil {
		t.Fatalf("build generator: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, append([]string{"--out", dir}, flags...)...).CombinedOutput(); err != nil {
		t.Fatalf("generate: %v\n%s", err, out)
	}
}

// Read returns every record of dir/truth.jsonl.gz.
func Read(t testing.TB, dir string) []Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("truth: %v", err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
