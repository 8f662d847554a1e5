package generate

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// rawFile is one collector file: a run of g.lines after sorting by received
// time.
type rawFile struct {
	path  string // relative to the output directory, with forward slashes
	dt    string // YYYY-MM-DD of its dt= directory
	key   int64
	first int32
	n     int32
	gzip  bool
	// keep is, for the truncated gzip file, how many complete lines a reader
	// gets before the stream breaks; -1 for an intact file.
	keep int32
}

// Generate simulates the world, writes the raw files and the ground truth to
// cfg.Out, and returns the truth summary.
func Generate(cfg Config) (*Summary, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := newGen(cfg)
	files := g.build()

	if err := prepareOut(cfg.Out); err != nil {
		return nil, err
	}
	deny := denyListHeader + strings.Join(denyList, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(cfg.Out, "bot_ip_denylist.txt"), []byte(deny), 0o644); err != nil {
		return nil, fmt.Errorf("write deny list: %w", err)
	}
	if err := writeGeoRanges(cfg.Out); err != nil {
		return nil, err
	}
	// The truncated file goes first: the truth depends on where it breaks.
	corrupt := -1
	if cfg.BadRate > 0 {
		corrupt = g.pickCorrupt(files)
	}
	if corrupt >= 0 {
		if err := g.writeCorrupt(&files[corrupt]); err != nil {
			return nil, err
		}
	}

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		summary *Summary
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	wg.Go(func() {
		s, err := g.writeTruth(files)
		if err != nil {
			fail(err)
		}
		summary = s
	})
	jobs := make(chan int)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range jobs {
				if err := g.writeFile(&files[i]); err != nil {
					fail(err)
				}
			}
		})
	}
	for i := range files {
		if i != corrupt {
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return summary, nil
}

func newGen(cfg Config) *gen {
	g := &gen{
		cfg:        cfg,
		rng:        rand.New(rand.NewPCG(uint64(cfg.Seed), 0x636c69636b)),
		start:      cfg.Start.AddDate(0, 0, -cfg.HistoryDays).UnixMilli(),
		from:       cfg.Start.UnixMilli(),
		days:       cfg.HistoryDays + cfg.Days,
		ids:        map[string]struct{}{},
		uaPool:     map[form][]uaChoice{},
		orderItems: map[int32][]cartItem{},
	}
	g.end = g.from + int64(cfg.Days)*msDay
	g.cat = newCatalog(g.rng)
	return g
}

// build simulates the world and lays out the collector's files, in memory.
func (g *gen) build() []rawFile {
	g.simulate()
	g.transport()
	g.malform()
	g.doubleWrites()
	return g.layout()
}

// layout orders the lines by received time, drops those received before
// --start (simulated history), and cuts the others into files: one dt=
// directory per received UTC date, --files_per_day equal slices of it.
func (g *gen) layout() []rawFile {
	slices.SortFunc(g.lines, func(a, b line) int {
		if c := cmp.Compare(a.recv, b.recv); c != 0 {
			return c
		}
		if c := cmp.Compare(a.seq, b.seq); c != 0 {
			return c
		}
		return cmp.Compare(b2i(a.exact), b2i(b.exact))
	})
	first, _ := slices.BinarySearchFunc(g.lines, g.from, func(ln line, t int64) int { return cmp.Compare(ln.recv, t) })
	g.lines = g.lines[first:]
	perDay := int64(g.cfg.FilesPerDay)
	var files []rawFile
	for i := range g.lines {
		ln := &g.lines[i]
		key := ln.recv/msDay*perDay + ln.recv%msDay*perDay/msDay
		if len(files) == 0 || files[len(files)-1].key != key {
			files = append(files, rawFile{key: key, first: int32(i), keep: -1,
				dt: time.UnixMilli(ln.recv).UTC().Format(time.DateOnly)})
		}
		f := &files[len(files)-1]
		f.n++
		ln.file, ln.lineNo = int32(len(files)-1), f.n
	}
	nGzip := int(math.Round(g.cfg.Gzip * float64(len(files))))
	if g.cfg.Gzip > 0 {
		nGzip = max(nGzip, 1)
	}
	for _, i := range g.rng.Perm(len(files))[:nGzip] {
		files[i].gzip = true
	}
	for i := range files {
		f := &files[i]
		f.path = fmt.Sprintf("raw/dt=%s/part-%03d.jsonl", f.dt, f.key%perDay)
		if f.gzip {
			f.path += ".gz"
		}
	}
	return files
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pickCorrupt chooses the gzip file to truncate: a random one of those with
// some substance, else the largest.
func (g *gen) pickCorrupt(files []rawFile) int {
	var big []int
	best := -1
	for i, f := range files {
		if !f.gzip {
			continue
		}
		if f.n >= 50 {
			big = append(big, i)
		}
		if best < 0 || f.n > files[best].n {
			best = i
		}
	}
	if len(big) > 0 {
		return oneOf(g.rng, big)
	}
	return best
}

// prepareOut creates the output directory and removes what an earlier run
// left there, and nothing else.
func prepareOut(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(out, "raw", "dt=*", "part-*.jsonl*"))
	if err != nil {
		return fmt.Errorf("list earlier output: %w", err)
	}
	for _, p := range append(old, filepath.Join(out, "truth.jsonl.gz"), filepath.Join(out, "truth_summary.json"), filepath.Join(out, "bot_ip_denylist.txt"), filepath.Join(out, geoRangesFile)) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove earlier output: %w", err)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "raw", "dt=*"))
	for _, d := range dirs {
		_ = os.Remove(d) // only succeeds when empty
	}
	return nil
}

func newGzip(w io.Writer) *gzip.Writer {
	// No name and no modification time in the header: byte-deterministic.
	zw, _ := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	return zw
}

func (g *gen) writeLines(w io.Writer, f *rawFile) error {
	buf := make([]byte, 0, 64<<10)
	for i := f.first; i < f.first+f.n; i++ {
		buf = append(g.appendLine(buf[:0], &g.lines[i]), '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) create(rel string) (*os.File, error) {
	p := filepath.Join(g.cfg.Out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	fh, err := os.Create(p)
	if err != nil {
		return nil, fmt.Errorf("create file: %w", err)
	}
	return fh, nil
}

func (g *gen) writeFile(f *rawFile) (err error) {
	fh, err := g.create(f.path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := fh.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", f.path, cerr)
		}
	}()
	bw := bufio.NewWriterSize(fh, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if f.gzip {
		zw = newGzip(bw)
		w = zw
	}
	if err := g.writeLines(w, f); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fmt.Errorf("compress %s: %w", f.path, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// writeCorrupt writes the gzip file cut off near its end, and records how
// many complete lines compress/gzip still yields from it.
func (g *gen) writeCorrupt(f *rawFile) error {
	var buf bytes.Buffer
	zw := newGzip(&buf)
	if err := g.writeLines(zw, f); err != nil {
		return fmt.Errorf("compress %s: %w", f.path, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress %s: %w", f.path, err)
	}
	full := buf.Bytes()
	cut := len(full) - max(16, int(float64(len(full))*(0.005+0.025*g.rng.Float64())))
	for ; ; cut -= 1 + g.rng.IntN(7) {
		cut = max(cut, 11)
		complete, partial := readTruncated(full[:cut])
		// Cut where the reader is left holding part of a line, so the
		// broken tail is a record of its own.
		if partial > 0 || cut == 11 {
			f.keep = int32(complete)
			break
		}
	}
	fh, err := g.create(f.path)
	if err != nil {
		return err
	}
	if _, err := fh.Write(full[:cut]); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.path, err)
	}
	return nil
}

// readTruncated decompresses a truncated gzip stream with the standard
// library and counts the complete lines it yields before failing, and the
// bytes of the partial line after them.
func readTruncated(data []byte) (complete, partial int) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0, 0
	}
	chunk := make([]byte, 64<<10)
	for {
		n, err := zr.Read(chunk)
		for _, c := range chunk[:n] {
			if c == '\n' {
				complete++
				partial = 0
			} else {
				partial++
			}
		}
		if err != nil {
			return complete, partial
		}
	}
}
