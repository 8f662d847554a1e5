package warehouse

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/io/internal/parquetrows"
	"github.com/example/clickstream/schemas"
)

// ErrNotStaged is returned by Commit for a run that has no staging directory:
// its pipeline never ran Write, or the run was already committed.
var ErrNotStaged = errors.New("warehouse: run has no staging directory")

// CommitResult is what a commit changed, table by table. It is also the
// commit's journal, kept in the run's staging directory until the commit is
// complete.
type CommitResult struct {
	RunID string `json:"run_id"`
	// Tables has one entry per warehouse table, sorted by name.
	Tables []TableCommit `json:"tables"`
}

// TableCommit is what a commit changed in one table.
type TableCommit struct {
	Table string `json:"table"`
	// Replaced are the partitions the run owns, sorted by date: each now holds
	// exactly the rows the run staged for it. One with no files had no rows
	// in the run, and any previous partition for its date was removed.
	Replaced []Partition `json:"replaced,omitempty"`
	// Discarded are partitions the run staged but does not own, sorted by
	// date: their rows were dropped and the warehouse's partition, if any, was
	// left as it was.
	Discarded []Partition `json:"discarded,omitempty"`
}

// Partition is one partition of a commit.
type Partition struct {
	Date  time.Time `json:"date"`
	Rows  int64     `json:"rows"`
	Files int       `json:"files"`
	// Marker is the name of one of the staged files: a visible partition
	// that holds it has been swapped in. It tells a resumed commit where it
	// stands, since an exchange leaves both directories in place.
	Marker string `json:"marker,omitempty"`
}

// Rows returns the rows of each partition of table that the commit replaced.
func (r CommitResult) Rows(table string) map[time.Time]int64 {
	rows := make(map[time.Time]int64)
	for _, t := range r.Tables {
		if t.Table != table {
			continue
		}
		for _, p := range t.Replaced {
			rows[p.Date] = p.Rows
		}
	}
	return rows
}

// Scope names, per table, the partitions a commit replaces. Each date
// listed for a table is replaced by exactly the rows the run staged for it,
// or removed when the run staged none; the table's staged dates that are not
// listed are dropped (see CommitResult.Discarded). A table the scope does
// not list gets exactly the partitions the run staged for it, and no other.
// An unpartitioned table is replaced whole when the run staged it, listed or
// not.
type Scope map[string][]time.Time

// Commit makes the rows that runID staged visible, after its pipeline has
// finished: it is CommitScope with the owned dates listed for every table,
// or with an empty Scope (every table gets what the run staged) when owned
// is nil.
func Commit(out, runID string, owned []time.Time) (CommitResult, error) {
	scope := Scope{}
	if owned != nil {
		for _, name := range tableNames() {
			scope[name] = owned
		}
	}
	return CommitScope(out, runID, scope)
}

// CommitScope makes the rows that runID staged visible, replacing the
// partitions scope gives (see Scope); other partitions are not touched. A
// driver commits its pipeline's tables for the dates the run owns, and a
// step that rewrites some partitions of some tables (the dimension step)
// lists the partitions it may empty and stages the rest.
//
// Each partition is swapped with two renames, so readers see the old files
// or the new ones, never a mix (for a moment, none). The commit is recorded in
// a journal first: if it is interrupted, calling CommitScope again with the
// same runID, or Recover, completes it as recorded. It returns ErrNotStaged
// when the run has no staging directory (e.g. it was already committed).
//
// It runs under the warehouse's exclusive lock (Exclusive): it waits for
// streaming publishes in progress, and they wait for it.
func CommitScope(out, runID string, scope Scope) (CommitResult, error) {
	for name := range scope {
		if _, err := lookupTable(name); err != nil {
			return CommitResult{}, fmt.Errorf("warehouse: commit %s: %w", runID, err)
		}
	}
	var c *committer
	err := Exclusive(out, func() error {
		var err error
		if c, err = beginCommit(out, runID, scope); err != nil {
			return err
		}
		if err := c.finish(); err != nil {
			return fmt.Errorf("warehouse: commit %s: %w", runID, err)
		}
		return nil
	})
	if err != nil {
		return CommitResult{}, err
	}
	return c.result, nil
}

// committer carries out one commit as a sequence of single filesystem steps,
// each of which leaves the warehouse in a state that resumeCommit can
// complete.
type committer struct {
	out    string
	result CommitResult
	parts  []pendingPartition
	next   int // index of the first partition that may not be done
	phase  int // 0: partitions, 1: remove staged data, 2: remove journal, 3: done
}

// pendingPartition is one replaced partition of a commit.
type pendingPartition struct {
	table  string
	name   string // <column>=<date>
	staged bool   // the run staged files for it
	marker string // see Partition.Marker
}

// beginCommit plans the commit of runID and records it in its journal, or
// resumes the commit a journal already records.
func beginCommit(out, runID string, scope Scope) (*committer, error) {
	if err := checkRunID(runID); err != nil {
		return nil, err
	}
	switch ok, err := exists(journalPath(out, runID)); {
	case err != nil:
		return nil, fmt.Errorf("warehouse: commit %s: %w", runID, err)
	case ok:
		return resumeCommit(out, runID)
	}
	result, err := planCommit(out, runID, scope)
	if err != nil {
		return nil, fmt.Errorf("warehouse: commit %s: %w", runID, err)
	}
	if err := writeJournal(out, result); err != nil {
		return nil, fmt.Errorf("warehouse: commit %s: %w", runID, err)
	}
	return newCommitter(out, result)
}

// resumeCommit returns the committer of the commit recorded in runID's
// journal.
func resumeCommit(out, runID string) (*committer, error) {
	b, err := os.ReadFile(journalPath(out, runID))
	if err != nil {
		return nil, fmt.Errorf("warehouse: resume commit %s: %w", runID, err)
	}
	var result CommitResult
	if err := json.Unmarshal(b, &result); err != nil {
		return nil, fmt.Errorf("warehouse: resume commit %s: journal: %w", runID, err)
	}
	if result.RunID != runID {
		return nil, fmt.Errorf("warehouse: resume commit %s: journal is for run %q", runID, result.RunID)
	}
	return newCommitter(out, result)
}

func newCommitter(out string, result CommitResult) (*committer, error) {
	c := &committer{out: out, result: result}
	for _, tc := range result.Tables {
		t, err := lookupTable(tc.Table)
		if err != nil {
			return nil, err
		}
		for _, p := range tc.Replaced {
			c.parts = append(c.parts, pendingPartition{
				table:  tc.Table,
				name:   t.partition(p.Date),
				staged: p.Files > 0,
				marker: p.Marker,
			})
		}
	}
	return c, nil
}

// runFiles are the entries of a run's staging directory that are not tables.
var runFiles = []string{tmpDir, oldDir, journalName + ".tmp", runLockName, runInfoName, runInfoName + ".tmp"}

// planCommit lists and checks what runID staged and decides which partitions
// the commit replaces. It changes nothing.
func planCommit(out, runID string, scope Scope) (CommitResult, error) {
	dir := runDir(out, runID)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return CommitResult{}, fmt.Errorf("%w: %s", ErrNotStaged, dir)
	}
	if err != nil {
		return CommitResult{}, fmt.Errorf("list staging: %w", err)
	}
	for _, e := range entries {
		if name := e.Name(); !slices.Contains(runFiles, name) {
			if _, err := lookupTable(name); err != nil {
				return CommitResult{}, fmt.Errorf("staging %s: %w", dir, err)
			}
		}
	}
	result := CommitResult{RunID: runID}
	for _, name := range tableNames() {
		t, err := lookupTable(name)
		if err != nil {
			return CommitResult{}, err
		}
		var owned map[time.Time]bool
		if dates, listed := scope[name]; listed {
			owned = make(map[time.Time]bool, len(dates))
			for _, d := range dates {
				owned[schemas.DateOf(d)] = true
			}
		}
		tc, err := planTable(out, runID, t, owned)
		if err != nil {
			return CommitResult{}, err
		}
		result.Tables = append(result.Tables, tc)
	}
	return result, nil
}

// planTable decides the partitions of one table; a nil owned set owns every
// staged date. An unpartitioned table is replaced whole when the run staged
// it, whatever the owned dates, and left alone otherwise.
func planTable(out, runID string, t *table, owned map[time.Time]bool) (TableCommit, error) {
	tc := TableCommit{Table: t.name}
	dates, err := t.dates(filepath.Join(runDir(out, runID), t.name))
	if err != nil {
		return tc, err
	}
	if !t.partitioned() {
		owned = nil
	}
	staged := make(map[time.Time]Partition, len(dates))
	for _, d := range dates {
		p, err := checkStaged(stagedDir(out, runID, t.name, t.partition(d)), t)
		if err != nil {
			return tc, err
		}
		p.Date = d
		staged[d] = p
		if owned != nil && !owned[d] {
			tc.Discarded = append(tc.Discarded, p)
		}
	}
	replace := dates
	if owned != nil {
		replace = make([]time.Time, 0, len(owned))
		for d := range owned {
			replace = append(replace, d)
		}
		slices.SortFunc(replace, time.Time.Compare)
	}
	for _, d := range replace {
		p, ok := staged[d]
		if !ok {
			p = Partition{Date: d}
		}
		tc.Replaced = append(tc.Replaced, p)
	}
	return tc, nil
}

// checkStaged checks that every file of a staged partition is a complete
// Parquet file of the table's schema and counts its rows, so that a bad
// staging fails the commit before anything visible changes.
func checkStaged(dir string, t *table) (Partition, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Partition{}, fmt.Errorf("list %s: %w", dir, err)
	}
	files, err := partFiles(dir)
	if err != nil {
		return Partition{}, err
	}
	if len(files) != len(entries) {
		return Partition{}, fmt.Errorf("staged partition %s holds files that are not %s*%s", dir, partPrefix, partSuffix)
	}
	p := Partition{Files: len(files)}
	if len(files) > 0 {
		p.Marker = filepath.Base(files[0])
	}
	schema, err := parquetrows.Schema(t.name)
	if err != nil {
		return Partition{}, err
	}
	for _, path := range files {
		n, err := footerRows(path, schema)
		if err != nil {
			return Partition{}, err
		}
		p.Rows += n
	}
	if err := syncDir(dir); err != nil {
		return Partition{}, err
	}
	return p, nil
}

// footerRows returns the row count in the footer of a Parquet file, after
// checking its schema.
func footerRows(path string, schema *parquet.Schema) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer closeRead(f)
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(f, info.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	if !parquet.EqualNodes(pf.Schema(), schema) {
		return 0, fmt.Errorf("%s: schema %v, want %v", path, pf.Schema(), schema)
	}
	return pf.NumRows(), nil
}

// writeJournal records a planned commit, atomically.
func writeJournal(out string, result CommitResult) error {
	b, err := json.MarshalIndent(result, "", "  ")
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	path := journalPath(out, result.RunID)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return rename(tmp, path)
}

// finish runs the remaining steps of the commit.
func (c *committer) finish() error {
	for {
		done, err := c.step()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// step takes the next single step of the commit (one rename or one removal)
// and reports whether the commit is complete. Every step is decided from
// what is on disk, so a committer resumed after a crash at any point carries
// on where the crashed one stopped.
func (c *committer) step() (done bool, err error) {
	for c.next < len(c.parts) {
		act, err := c.partitionStep(c.parts[c.next])
		if err != nil {
			return false, err
		}
		if act != nil {
			return false, act()
		}
		c.next++
	}
	dir := runDir(c.out, c.result.RunID)
	switch c.phase {
	case 0:
		// Staged data first, journal last: a run directory without a journal
		// is never half committed.
		c.phase++
		entries, err := os.ReadDir(dir)
		if err != nil {
			return false, fmt.Errorf("list staging: %w", err)
		}
		for _, e := range entries {
			if e.Name() == journalName {
				continue
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return false, fmt.Errorf("remove staging: %w", err)
			}
		}
		return false, nil
	case 1:
		c.phase++
		if err := os.RemoveAll(dir); err != nil {
			return false, fmt.Errorf("remove staging: %w", err)
		}
		return false, removeIfEmpty(stagingRoot(c.out))
	}
	return true, nil
}

// partitionStep returns the next step for one partition, or nil when the
// partition is done. A partition is swapped by exchanging the visible
// directory (F) with the staged one (S) in one atomic rename, then removing
// S, which now holds the replaced files. Where the filesystem cannot exchange,
// F is renamed to the run's backup (O), S to F, and O is removed; between
// those two renames the partition is absent. An owned partition that the run
// did not stage is removed by the second way, without S. F holding the
// staged marker file means the swap is done.
func (c *committer) partitionStep(p pendingPartition) (func() error, error) {
	final := finalDir(c.out, p.table, p.name)
	staged := stagedDir(c.out, c.result.RunID, p.table, p.name)
	old := backupDir(c.out, c.result.RunID, p.table, p.name)
	f, err := exists(final)
	if err != nil {
		return nil, err
	}
	o, err := exists(old)
	if err != nil {
		return nil, err
	}
	s, swapped := false, false
	if p.staged {
		if s, err = exists(staged); err != nil {
			return nil, err
		}
		if swapped, err = exists(filepath.Join(final, p.marker)); err != nil {
			return nil, err
		}
	}
	remove := func(dir string) func() error {
		return func() error {
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("remove replaced partition: %w", err)
			}
			return nil
		}
	}
	switch {
	case swapped && s:
		// Exchanged: the staged directory holds the replaced files.
		return remove(staged), nil
	case swapped && o, f && o:
		// Swapped by renames (or an earlier attempt left a backup).
		return remove(old), nil
	case swapped:
		return nil, nil
	case f && s:
		return func() error {
			err := exchange(staged, final)
			if errors.Is(err, errNoExchange) {
				return rename(final, old)
			}
			return err
		}, nil
	case f && !p.staged:
		return func() error { return rename(final, old) }, nil
	case s:
		return func() error { return rename(staged, final) }, nil
	case o && !p.staged:
		return remove(old), nil
	case o:
		// The staged files are gone without having been swapped in: keep the
		// previous partition rather than none.
		return func() error { return rename(old, final) }, nil
	}
	return nil, nil
}
