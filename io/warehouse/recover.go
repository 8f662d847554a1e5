package warehouse

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Recover brings the warehouse under out back to a clean state after a crash.
// Call it at the start of every run, before the run's pipeline starts: it
// completes every commit that has a journal (see Commit) and deletes the
// staging of runs that never reached Commit, including a pipeline still
// running, so one process at a time may write to a warehouse.
func Recover(out string) error {
	root := stagingRoot(out)
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("warehouse: recover: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			// Only run directories belong here.
			if err := os.Remove(filepath.Join(root, e.Name())); err != nil {
				return fmt.Errorf("warehouse: recover: %w", err)
			}
			continue
		}
		if err := recoverRun(out, e.Name()); err != nil {
			return fmt.Errorf("warehouse: recover run %s: %w", e.Name(), err)
		}
	}
	if err := removeIfEmpty(root); err != nil {
		return fmt.Errorf("warehouse: recover: %w", err)
	}
	return nil
}

func recoverRun(out, runID string) error {
	dir := runDir(out, runID)
	journal, err := exists(journalPath(out, runID))
	if err != nil {
		return err
	}
	if journal {
		c, err := resumeCommit(out, runID)
		if err != nil {
			return err
		}
		return c.finish()
	}
	// Without a journal no commit started, so no visible partition was
	// moved. Backups are put back all the same, should one ever be found.
	if err := restoreBackups(out, runID); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove staging: %w", err)
	}
	return nil
}

// restoreBackups renames every backup of runID whose partition is missing
// back to its place.
func restoreBackups(out, runID string) error {
	root := filepath.Join(runDir(out, runID), oldDir)
	tables, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list backups: %w", err)
	}
	for _, t := range tables {
		if tbl, err := lookupTable(t.Name()); err == nil && !tbl.partitioned() {
			// The backup of an unpartitioned table is the table directory.
			if err := restoreBackup(out, runID, t.Name(), ""); err != nil {
				return err
			}
			continue
		}
		parts, err := os.ReadDir(filepath.Join(root, t.Name()))
		if err != nil {
			return fmt.Errorf("list backups: %w", err)
		}
		for _, p := range parts {
			if err := restoreBackup(out, runID, t.Name(), p.Name()); err != nil {
				return err
			}
		}
	}
	return nil
}

// restoreBackup renames the backup of one partition back to its place when
// the partition is missing.
func restoreBackup(out, runID, table, partition string) error {
	final := finalDir(out, table, partition)
	ok, err := exists(final)
	if err != nil || ok {
		return err
	}
	return rename(backupDir(out, runID, table, partition), final)
}
