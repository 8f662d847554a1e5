// Package groundtruth writes samples with the generator (tools/generate)
// and reads their truth, for tests that check the pipeline against it.
// Like the generator, it imports nothing of the pipeline, so the truth stays
// independent of the code under test (TestImports checks it). Only tests
// import it.
package groundtruth

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/example/clickstream/tools/generate"
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
}

// Key identifies the input record: file (relative to the data directory),
// line and position in the beacon.
func (r Record) Key() string { return fmt.Sprintf("%s:%d:%d", r.File, r.Line, r.Index) }

// Generate writes a sample into dir with the generator's command-line
// flags (e.g. "--seed", "11", "--events", "40000"), in process.
func Generate(dir string, flags ...string) error {
	cfg, err := generate.ParseFlags(append([]string{"--out", dir}, flags...), io.Discard)
	if err != nil {
		return fmt.Errorf("generator flags %q: %w", flags, err)
	}
	_, err = generate.Generate(cfg)
	return err
}

// GenerateShared writes into dir the sample that the end-to-end tests of
// the batch pipeline and of the SQL share: two days from 2026-11-01, about
// 40,000 events, seed 11. Each test package generates it once, in TestMain.
func GenerateShared(dir string) error {
	return Generate(dir, "--seed", "11", "--events", "40000", "--days", "2")
}

// Read returns every record of dir/truth.jsonl.gz.
func Read(dir string) ([]Record, error) {
	f, err := os.Open(filepath.Join(dir, "truth.jsonl.gz"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("truth: %w", err)
	}
	var out []Record
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("truth line %d: %w", len(out)+1, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("truth: %w", err)
	}
	return out, nil
}
