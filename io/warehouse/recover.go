package warehouse

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// Recover brings the warehouse under out back to a clean state after a crash.
// Call it at the start of every run, before the run's pipeline starts. Under
// the warehouse's exclusive lock, it completes every commit that has a
// journal (see CommitScope) and deletes the staging of runs that died before
// their commit. The staging of a live run (one whose lock is held, see
// BeginRun and Append) is left alone, so Recover is safe while other
// processes write to the warehouse.
func Recover(out string) error {
	root := stagingRoot(out)
	if ok, err := exists(root); err != nil || !ok {
		return err
	}
	return Exclusive(out, func() error {
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
			if err := recoverDeadRun(out, e.Name()); err != nil {
				return fmt.Errorf("warehouse: recover run %s: %w", e.Name(), err)
			}
		}
		if err := removeIfEmpty(root); err != nil {
			return fmt.Errorf("warehouse: recover: %w", err)
		}
		return nil
	})
}

// recoverDeadRun recovers runID unless a live process holds its staging. The
// run's lock is held (created if the run had none, like the driver's own
// steps that stage under the warehouse's exclusive lock) until its staging,
// lock file included, is gone.
func recoverDeadRun(out, runID string) error {
	lock := flock.New(runLockPath(out, runID))
	ok, err := lock.TryLock()
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if !ok {
		slog.Info("recover: skipping the staging of a live run", "run_id", runID, "lock", lock.Path())
		return nil
	}
	defer unlock(lock)
	return recoverRun(out, runID)
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
