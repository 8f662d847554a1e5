package warehouse

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/example/clickstream/schemas"
)

// Stage stages rows of table from the driver, outside a pipeline: one file
// per partition date, or one file for an unpartitioned table (also when rows
// is empty, so that committing it empties the table). Like Write, it changes
// nothing visible: CommitScope then replaces the partitions staged (those
// of the tables its scope does not list: exactly the partitions staged),
// with the same journal and recovery as a pipeline's commit. Calling Stage
// again for the same partition adds a file to it.
//
// It is for steps that rewrite what the warehouse already holds, such as the
// dimension step that brings the dimensions up to date (it edits
// fact_sessions' resolution with StageColumn), and for a run's own account.
// T must be the table's row type.
func Stage[T any](out, runID, table string, rows []T) error {
	if err := checkRunID(runID); err != nil {
		return err
	}
	t, err := lookupTable(table)
	if err != nil {
		return err
	}
	if got := reflect.TypeFor[T](); got != t.rowType {
		return fmt.Errorf("warehouse: stage %s: table stores %v, got %v", table, t.rowType, got)
	}
	if err := os.MkdirAll(filepath.Join(runDir(out, runID), tmpDir), 0o755); err != nil {
		return fmt.Errorf("warehouse: stage %s: %w", table, err)
	}
	parts := make(map[time.Time]*partWriter)
	abort := func() {
		for _, p := range parts {
			p.abort()
		}
	}
	open := func(date time.Time) (*partWriter, error) {
		if p, ok := parts[date]; ok {
			return p, nil
		}
		name := partPrefix + uuid.NewString() + partSuffix
		final := filepath.Join(stagedDir(out, runID, table, t.partition(date)), name)
		p, err := newPartWriter(filepath.Join(runDir(out, runID), tmpDir, name), final, t)
		if err != nil {
			return nil, fmt.Errorf("warehouse: stage %s: %w", final, err)
		}
		parts[date] = p
		return p, nil
	}
	if !t.partitioned() {
		if _, err := open(time.Time{}); err != nil {
			return err
		}
	}
	for _, r := range rows {
		date, err := schemas.PartitionDate(table, r)
		if err != nil {
			abort()
			return err
		}
		p, err := open(date)
		if err != nil {
			abort()
			return err
		}
		if err := p.write(r); err != nil {
			abort()
			return fmt.Errorf("warehouse: stage %s: %w", p.final, err)
		}
	}
	for date, p := range parts {
		if err := p.commit(); err != nil {
			delete(parts, date)
			abort()
			return fmt.Errorf("warehouse: stage %s: %w", p.final, err)
		}
		delete(parts, date)
	}
	return nil
}
