package warehouse

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
)

// StageKept stages, for each of dates, the rows of table's committed
// partition that keep accepts (given the partition's date), in their Parquet form (the leaf column
// indexes are those of the table's schema, parquetrows.Schema). A partition
// keep accepts every row of is not staged, so CommitScope with only the
// returned dates leaves it untouched; one that loses its last row is staged
// empty, so the commit empties it. It returns the rows dropped per date
// that lost any. Like Stage, it changes nothing visible.
//
// It is for steps that delete rows from what the warehouse holds (erasure):
// the copy goes through the same journaled commit as a run's.
func StageKept(out, runID, table string, dates []time.Time, keep func(date time.Time, row parquet.Row) bool) (map[time.Time]int64, error) {
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
	dropped := make(map[time.Time]int64)
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
		var n int64
		for _, path := range files {
			k, err := copyKept(path, p, func(row parquet.Row) bool { return keep(d, row) })
			if err != nil {
				p.abort()
				return nil, fmt.Errorf("warehouse: stage %s: %w", table, err)
			}
			n += k
		}
		if n == 0 {
			p.abort()
			continue
		}
		if err := p.commit(); err != nil {
			return nil, fmt.Errorf("warehouse: stage %s: %w", p.final, err)
		}
		dropped[d] = n
	}
	return dropped, nil
}

// copyKept writes the rows of the file at path that keep accepts to p, and
// returns how many it dropped.
func copyKept(path string, p *partWriter, keep func(parquet.Row) bool) (int64, error) {
	var dropped int64
	_, err := eachRow(path, func(row parquet.Row) error {
		if !keep(row) {
			dropped++
			return nil
		}
		return p.enc.WriteRow(row)
	})
	return dropped, err
}
