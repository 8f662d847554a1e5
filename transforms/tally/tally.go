package tally

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// The filesystems this package promises: local paths and gs:// URLs.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/google/uuid"
)

// Outcome names. Every input record ends in exactly one of events,
// duplicates, bots, dead_letter, out_of_range and unwritable; sessions are
// derived rows, counted to check their table.
const (
	InputRecords = "input_records"
	Events       = "events"
	Duplicates   = "duplicates"
	Bots         = "bots"
	DeadLetter   = "dead_letter"
	OutOfRange   = "out_of_range"
	// Unwritable are records whose row BigQuery refused, and then the
	// fallback dead letter that stood for it too (streaming only): their
	// messages are acknowledged with nothing in any table.
	Unwritable = "unwritable"
	Sessions   = "sessions"
)

// Tally is a count of records under a name, optionally broken down by key
// (the bot rule, the dead-letter reason).
type Tally struct {
	Name string `json:"name"`
	Key  string `json:"key,omitempty"`
	N    int64  `json:"n"`
}

// Keyed is implemented by elements counted under a key, e.g. a dead letter
// by its reason.
type Keyed interface {
	TallyKey() string
}

func init() {
	register.DoFn2x1[beam.T, func(Tally), error](&countFn{})
	register.DoFn2x0[context.Context, Tally](&writeFn{})
	register.Emitter1[Tally]()
}

// Count returns PCollection<Tally> counting the elements of col under name,
// broken down by TallyKey when the elements implement Keyed.
func Count(s beam.Scope, name string, col beam.PCollection) beam.PCollection {
	s = s.Scope("tally.Count")
	return beam.ParDo(s, &countFn{Name: name}, col)
}

// Dated is implemented by the rows of a date-partitioned table
// (schemas.Partitioned).
type Dated interface {
	PartitionDate() time.Time
}

// CountByDate returns PCollection<Tally> counting the elements of col, rows
// of a date-partitioned table (Dated), under name, keyed by their partition
// date (YYYY-MM-DD): the rows a run counted for each partition it writes,
// which the driver compares with what the partition holds.
func CountByDate(s beam.Scope, name string, col beam.PCollection) beam.PCollection {
	s = s.Scope("tally.CountByDate")
	return beam.ParDo(s, &countFn{Name: name, ByDate: true}, col)
}

type countFn struct {
	Name string
	// ByDate keys the counts by the elements' partition date (Dated)
	// instead of their TallyKey.
	ByDate bool
	counts bundleCounts
}

func (fn *countFn) StartBundle(_ func(Tally)) { fn.counts.reset() }

func (fn *countFn) ProcessElement(elem beam.T, _ func(Tally)) error {
	key := ""
	if fn.ByDate {
		d, ok := elem.(Dated)
		if !ok {
			return fmt.Errorf("tally: %s: %T has no partition date", fn.Name, elem)
		}
		key = d.PartitionDate().UTC().Format(time.DateOnly)
	} else if k, ok := elem.(Keyed); ok {
		key = k.TallyKey()
	}
	fn.counts[key]++
	return nil
}

func (fn *countFn) FinishBundle(emit func(Tally)) { fn.counts.emit(fn.Name, emit) }

// bundleCounts pre-aggregates a bundle's counts by Tally key.
type bundleCounts map[string]int64

func (c *bundleCounts) reset() { *c = bundleCounts{} }

// emit emits the counts as tallies under name.
func (c bundleCounts) emit(name string, emit func(Tally)) {
	for key, n := range c {
		emit(Tally{Name: name, Key: key, N: n})
	}
}

// Write stores the tallies as JSON lines in files under dir (a local path
// or a gs:// URL), one file per bundle.
func Write(s beam.Scope, dir string, tallies ...beam.PCollection) {
	s = s.Scope("tally.Write")
	beam.ParDo0(s, &writeFn{Dir: dir}, beam.Flatten(s, tallies...))
}

type writeFn struct {
	Dir     string
	pending []Tally
}

func (fn *writeFn) StartBundle() { fn.pending = nil }

func (fn *writeFn) ProcessElement(_ context.Context, t Tally) { fn.pending = append(fn.pending, t) }

func (fn *writeFn) FinishBundle(ctx context.Context) error {
	if len(fn.pending) == 0 {
		return nil
	}
	name := path.Join(fn.Dir, "tallies-"+uuid.NewString()+".jsonl")
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return fmt.Errorf("tally: filesystem for %s: %w", name, err)
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return fmt.Errorf("tally: create %s: %w", name, err)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, t := range fn.pending {
		if err := enc.Encode(t); err != nil {
			return fmt.Errorf("tally: encode: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("tally: write %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("tally: close %s: %w", name, err)
	}
	return nil
}

// Totals is the sum of all tallies of a run, by name and key.
type Totals map[string]map[string]int64

// Add adds t.
func (tt Totals) Add(t Tally) {
	if tt[t.Name] == nil {
		tt[t.Name] = map[string]int64{}
	}
	tt[t.Name][t.Key] += t.N
}

// Sum is the total under name over all keys.
func (tt Totals) Sum(name string) int64 {
	var n int64
	for _, v := range tt[name] {
		n += v
	}
	return n
}

// ByKey returns the counts under name by key, without the empty key.
func (tt Totals) ByKey(name string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range tt[name] {
		if k != "" {
			out[k] = v
		}
	}
	return out
}

// Read sums every tally file under dir.
func Read(ctx context.Context, dir string) (Totals, error) {
	glob := path.Join(dir, "tallies-*.jsonl")
	fs, err := filesystem.New(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("tally: filesystem for %s: %w", dir, err)
	}
	defer fs.Close()
	files, err := fs.List(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("tally: list %s: %w", glob, err)
	}
	sort.Strings(files)
	totals := Totals{}
	for _, f := range files {
		if err := readFile(ctx, fs, f, totals); err != nil {
			return nil, err
		}
	}
	return totals, nil
}

func readFile(ctx context.Context, fs filesystem.Interface, name string, totals Totals) error {
	r, err := fs.OpenRead(ctx, name)
	if err != nil {
		return fmt.Errorf("tally: open %s: %w", name, err)
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var t Tally
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return fmt.Errorf("tally: %s: %w", name, err)
		}
		totals.Add(t)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tally: read %s: %w", name, err)
	}
	return nil
}
