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

	"github.com/example/clickstream/schemas"
)

// Keyed is implemented by elements counted under a key, e.g. a dead letter
// by its reason.
type Keyed interface {
	TallyKey() string
}

func init() {
	register.DoFn2x1[beam.T, func(schemas.Tally), error](&countFn{})
	register.DoFn3x0[context.Context, schemas.Tally, func(string)](&writeFn{})
	register.Function1x0(dropFile)
	register.Emitter1[schemas.Tally]()
	register.Emitter1[string]()
}

// Count returns PCollection<schemas.Tally> counting the elements of col
// under name, broken down by TallyKey when the elements implement Keyed.
func Count(s beam.Scope, name string, col beam.PCollection) beam.PCollection {
	s = s.Scope("tally.Count")
	return beam.ParDo(s, &countFn{Name: name}, col)
}

// CountByDate returns PCollection<schemas.Tally> counting the elements of
// col, rows of a date-partitioned table (schemas.Partitioned), under name,
// keyed by their partition date (YYYY-MM-DD): the rows a run counted for
// each partition it writes, which the driver compares with what the
// partition holds.
func CountByDate(s beam.Scope, name string, col beam.PCollection) beam.PCollection {
	s = s.Scope("tally.CountByDate")
	return beam.ParDo(s, &countFn{Name: name, ByDate: true}, col)
}

type countFn struct {
	Name string
	// ByDate keys the counts by the elements' partition date instead of
	// their TallyKey.
	ByDate bool
	counts bundleCounts
}

func (fn *countFn) StartBundle(_ func(schemas.Tally)) { fn.counts.reset() }

func (fn *countFn) ProcessElement(elem beam.T, _ func(schemas.Tally)) error {
	key := ""
	if fn.ByDate {
		d, ok := elem.(schemas.Partitioned)
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

func (fn *countFn) FinishBundle(emit func(schemas.Tally)) { fn.counts.emit(fn.Name, emit) }

// bundleCounts pre-aggregates a bundle's counts by tally key.
type bundleCounts map[string]int64

func (c *bundleCounts) reset() { *c = bundleCounts{} }

// emit emits the counts as tallies under name.
func (c bundleCounts) emit(name string, emit func(schemas.Tally)) {
	for key, n := range c {
		emit(schemas.Tally{Name: name, Key: key, N: n})
	}
}

// Write stores the tallies as JSON lines in files under dir (a local path
// or a gs:// URL), one file per bundle.
//
// The names of the files written pass through a Reshuffle to a step that
// drops them. That step does nothing but give the writing stage an output
// consumed outside it: on the local runner (Prism, Beam v2.77) a stage
// without one busy-waits a core for as long as each of its bundles runs
// (README, Performance), and the Reshuffle keeps the drop from being fused
// back into it.
func Write(s beam.Scope, dir string, tallies ...beam.PCollection) {
	s = s.Scope("tally.Write")
	files := beam.ParDo(s, &writeFn{Dir: dir}, beam.Flatten(s, tallies...))
	beam.ParDo0(s, dropFile, beam.Reshuffle(s, files))
}

type writeFn struct {
	Dir     string
	pending []schemas.Tally
}

func (fn *writeFn) StartBundle(_ context.Context, _ func(string)) { fn.pending = nil }

func (fn *writeFn) ProcessElement(_ context.Context, t schemas.Tally, _ func(string)) {
	fn.pending = append(fn.pending, t)
}

// FinishBundle writes the bundle's tallies to a file of their own and
// emits its name.
func (fn *writeFn) FinishBundle(ctx context.Context, emit func(string)) error {
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
	emit(name)
	return nil
}

// dropFile drops a written file's name (see Write).
func dropFile(string) {}

// Read sums every tally file under dir.
func Read(ctx context.Context, dir string) (schemas.TallyTotals, error) {
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
	totals := schemas.TallyTotals{}
	for _, f := range files {
		if err := readFile(ctx, fs, f, totals); err != nil {
			return nil, err
		}
	}
	return totals, nil
}

func readFile(ctx context.Context, fs filesystem.Interface, name string, totals schemas.TallyTotals) error {
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
		var t schemas.Tally
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
