package warehouse

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
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
// (the dimension step's resolution of sessions, erasure) without decoding
// them into Go rows: the copy goes through the same journaled commit as a
// run's.
func StageEdited(out, runID, table string, dates []time.Time, edit func(date time.Time, row parquet.Row) (Edit, error)) (map[time.Time]Edited, error) {
	if err := checkRunID(runID); err != nil {
		return nil, err
	}
	t, dates, err := readPlan(out, table, dates)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(runDir(out, runID), tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("warehouse: stage %s: %w", table, err)
	}
	counts := make(map[time.Time]Edited, len(dates))
	for _, d := range dates {
		files, err := partFiles(finalDir(out, table, t.partition(d)))
		if err != nil {
			return nil, fmt.Errorf("warehouse: stage %s: %w", table, err)
		}
		name := partPrefix + uuid.NewString() + partSuffix
		p, err := newPartWriter(filepath.Join(runDir(out, runID), tmpDir, name),
			filepath.Join(stagedDir(out, runID, table, t.partition(d)), name), t)
		if err != nil {
			return nil, fmt.Errorf("warehouse: stage %s: %w", table, err)
		}
		var c Edited
		for _, path := range files {
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
			if err != nil {
				p.abort()
				return nil, fmt.Errorf("warehouse: stage %s: %w", table, err)
			}
			c.Rows += n
		}
		counts[d] = c
		if c.Changed+c.Dropped == 0 {
			p.abort()
			continue
		}
		if err := p.commit(); err != nil {
			return nil, fmt.Errorf("warehouse: stage %s: %w", p.final, err)
		}
	}
	return counts, nil
}
