package warehouse

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/example/clickstream/io/internal/parquetrows"
)

// An Edit is what StageEdited does with one row.
type Edit int

const (
	// Keep writes the row as read.
	Keep Edit = iota
	// Change writes the row with the values the edit changed in place.
	Change
	// Drop leaves the row out.
	Drop
)

// Edited counts what StageEdited did to one partition's rows.
type Edited struct {
	Rows    int64 // read
	Changed int64
	Dropped int64
}

// StageEdited stages, for each of dates, table's committed partition with
// edit applied to each of its rows (given the partition's date), in their
// Parquet form: the leaf column indexes are those of the table's schema
// (parquetrows.Schema), and an edit that changes a value keeps its column
// index and repetition level. A partition whose rows edit neither changes
// nor drops is not staged, so CommitScope with only the dates it changed
// leaves it untouched; one that loses its last row is staged empty, so the
// commit empties it. An edit's error stops it and is returned. It returns
// the counts of every date read (a date without a partition reads no
// rows). Like Stage, it changes nothing visible.
//
// It is for steps that change or delete rows of what the warehouse holds
// (erasure; the dimension step's resolution of sessions sets one column,
// with StageColumn) without decoding them into Go rows: the copy goes
// through the same journaled commit as a run's.
func StageEdited(out, runID, table string, dates []time.Time, edit func(date time.Time, row parquet.Row) (Edit, error)) (map[time.Time]Edited, error) {
	t, dates, err := rewritePlan(out, runID, table, dates)
	if err != nil {
		return nil, err
	}
	counts := make(map[time.Time]Edited, len(dates))
	for _, d := range dates {
		c, err := stagePartition(out, runID, t, d, func(p *partWriter, path string) (Edited, error) {
			var c Edited
			n, err := eachRow(path, func(row parquet.Row) error {
				e, err := edit(d, row)
				switch {
				case err != nil:
					return err
				case e == Drop:
					c.Dropped++
					return nil
				case e == Change:
					c.Changed++
				}
				return p.enc.WriteRow(row)
			})
			c.Rows = n
			return c, err
		})
		if err != nil {
			return nil, err
		}
		counts[d] = c
	}
	return counts, nil
}

// StageColumn stages, for each of dates, table's committed partition with
// new values in its column col: set is given the partition's date and a
// row's values of the columns key, and returns the value col holds in that
// row instead, with col's index and levels, and true; or false to keep the
// row's. col and the key columns are leaf column indexes of the table's
// schema (parquetrows.Schema), each holding one value per row (not
// repeated). Otherwise it is StageEdited with an edit that changes col
// only, and the same counts.
//
// The files are copied column by column (parquetrows.Writer.CopyRowGroup),
// no row assembled, and up to GOMAXPROCS partitions at once: set may be
// called from several goroutines at a time, for different dates.
func StageColumn(out, runID, table string, dates []time.Time, key []int, col int, set func(date time.Time, key []parquet.Value) (parquet.Value, bool, error)) (map[time.Time]Edited, error) {
	t, dates, err := rewritePlan(out, runID, table, dates)
	if err != nil {
		return nil, err
	}
	schema, err := parquetrows.Schema(table)
	if err != nil {
		return nil, err
	}
	leaves := schema.Columns()
	for _, c := range append([]int{col}, key...) {
		if c < 0 || c >= len(leaves) {
			return nil, fmt.Errorf("warehouse: stage %s: no column %d", table, c)
		}
		if leaf, _ := schema.Lookup(leaves[c]...); leaf.MaxRepetitionLevel > 0 {
			return nil, fmt.Errorf("warehouse: stage %s: column %s holds a list, not one value per row", table, strings.Join(leaves[c], "."))
		}
	}
	counts := make([]Edited, len(dates))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, d := range dates {
		g.Go(func() (err error) {
			counts[i], err = stagePartition(out, runID, t, d, func(p *partWriter, path string) (Edited, error) {
				return copyColumn(p, path, key, col, func(key []parquet.Value) (parquet.Value, bool, error) { return set(d, key) })
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	byDate := make(map[time.Time]Edited, len(dates))
	for i, d := range dates {
		byDate[d] = counts[i]
	}
	return byDate, nil
}

// copyColumn copies the Parquet file at path to p row group by row group,
// with column col set in the rows set gives a value for.
func copyColumn(p *partWriter, path string, key []int, col int, set func(key []parquet.Value) (parquet.Value, bool, error)) (Edited, error) {
	f, pf, err := openParquet(path)
	if err != nil {
		return Edited{}, err
	}
	defer closeRead(f)
	var c Edited
	keys := make([][]parquet.Value, len(key))
	row := make([]parquet.Value, len(key))
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		for i, k := range key {
			if keys[i], err = parquetrows.ColumnValues(chunks[k], keys[i][:0]); err != nil {
				return Edited{}, fmt.Errorf("read %s: %w", path, err)
			}
			if int64(len(keys[i])) != rg.NumRows() {
				return Edited{}, fmt.Errorf("read %s: column %d holds %d values for %d rows", path, k, len(keys[i]), rg.NumRows())
			}
		}
		changed := map[int]parquet.Value{}
		for r := range int(rg.NumRows()) {
			for i := range key {
				row[i] = keys[i][r]
			}
			v, ok, err := set(row)
			if err != nil {
				return Edited{}, err
			}
			if ok {
				changed[r] = v
			}
		}
		if err := p.enc.CopyRowGroup(rg, col, changed); err != nil {
			return Edited{}, fmt.Errorf("copy %s: %w", path, err)
		}
		c.Rows += rg.NumRows()
		c.Changed += int64(len(changed))
	}
	return c, nil
}

// rewritePlan checks runID and returns table and the dates of its
// partitions to rewrite (readPlan), with the run's temporary directory
// made.
func rewritePlan(out, runID, table string, dates []time.Time) (*table, []time.Time, error) {
	if err := checkRunID(runID); err != nil {
		return nil, nil, err
	}
	t, dates, err := readPlan(out, table, dates)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Join(runDir(out, runID), tmpDir), 0o755); err != nil {
		return nil, nil, fmt.Errorf("warehouse: stage %s: %w", table, err)
	}
	return t, dates, nil
}

// stagePartition stages a new file for t's committed partition of date d:
// fill is given each of the partition's files in turn and writes to p the
// rows to keep, counting what it did. A partition whose rows fill neither
// changes nor drops is not staged; one that loses its last row is staged
// empty. It returns the counts summed over the files.
func stagePartition(out, runID string, t *table, d time.Time, fill func(p *partWriter, path string) (Edited, error)) (Edited, error) {
	files, err := partFiles(finalDir(out, t.name, t.partition(d)))
	if err != nil {
		return Edited{}, fmt.Errorf("warehouse: stage %s: %w", t.name, err)
	}
	name := partPrefix + uuid.NewString() + partSuffix
	p, err := newPartWriter(filepath.Join(runDir(out, runID), tmpDir, name),
		filepath.Join(stagedDir(out, runID, t.name, t.partition(d)), name), t)
	if err != nil {
		return Edited{}, fmt.Errorf("warehouse: stage %s: %w", t.name, err)
	}
	var sum Edited
	for _, path := range files {
		c, err := fill(p, path)
		if err != nil {
			p.abort()
			return Edited{}, fmt.Errorf("warehouse: stage %s: %w", t.name, err)
		}
		sum.Rows += c.Rows
		sum.Changed += c.Changed
		sum.Dropped += c.Dropped
	}
	if sum.Changed+sum.Dropped == 0 {
		p.abort()
		return sum, nil
	}
	if err := p.commit(); err != nil {
		return Edited{}, fmt.Errorf("warehouse: stage %s: %w", p.final, err)
	}
	return sum, nil
}
