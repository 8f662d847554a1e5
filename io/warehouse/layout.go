package warehouse

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultDir is the warehouse directory used when a pipeline is given none.
const DefaultDir = "warehouse"

const (
	dateLayout  = "2006-01-02"
	stagingDir  = "_staging"
	tmpDir      = "_tmp"
	oldDir      = "_old"
	journalName = "COMMIT.json"
	partPrefix  = "part-"
	partSuffix  = ".parquet"
)

// Run ids name a directory, so they are one safe path element.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func checkRunID(runID string) error {
	if !runIDPattern.MatchString(runID) {
		return fmt.Errorf("warehouse: run id %q: want letters, digits, '.', '_' or '-', starting with a letter or digit", runID)
	}
	return nil
}

// partitionName is the Hive-style directory name of one partition,
// e.g. event_date=2026-11-01.
func partitionName(column string, date time.Time) string {
	return column + "=" + date.UTC().Format(dateLayout)
}

// parsePartitionName returns the date of a partition directory name, or false
// when name is not exactly <column>=YYYY-MM-DD.
func parsePartitionName(column, name string) (time.Time, bool) {
	value, ok := strings.CutPrefix(name, column+"=")
	if !ok || len(value) != len(dateLayout) {
		return time.Time{}, false
	}
	d, err := time.Parse(dateLayout, value)
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}

func tableDir(out, table string) string { return filepath.Join(out, table) }

func finalDir(out, table, partition string) string {
	return filepath.Join(out, table, partition)
}

func stagingRoot(out string) string { return filepath.Join(out, stagingDir) }

func runDir(out, runID string) string { return filepath.Join(out, stagingDir, runID) }

func stagedDir(out, runID, table, partition string) string {
	return filepath.Join(runDir(out, runID), table, partition)
}

// backupDir holds a replaced partition between the two renames of a swap. It
// lives under the run's staging directory, not next to the final partition,
// so that a reader's glob <table>/*/*.parquet never sees it.
func backupDir(out, runID, table, partition string) string {
	return filepath.Join(runDir(out, runID), oldDir, table, partition)
}

func journalPath(out, runID string) string {
	return filepath.Join(runDir(out, runID), journalName)
}

// partFiles lists the data files of a partition directory, sorted by name.
// A missing directory has none.
func partFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(name, partPrefix) && strings.HasSuffix(name, partSuffix) {
			files = append(files, filepath.Join(dir, name))
		}
	}
	sort.Strings(files)
	return files, nil
}

// partitionDates lists the partitions under dir (a table directory, final or
// staged), sorted by date.
func partitionDates(dir, column string) ([]time.Time, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var dates []time.Time
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if d, ok := parsePartitionName(column, e.Name()); ok {
			dates = append(dates, d)
		}
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i].Before(dates[j]) })
	return dates, nil
}

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("stat %s: %w", path, err)
}

// syncDir makes the renames and creations inside dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer closeRead(d)
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// rename moves from to to and makes both directory entries durable.
func rename(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	if err := syncDir(filepath.Dir(to)); err != nil {
		return err
	}
	if filepath.Dir(from) != filepath.Dir(to) {
		return syncDir(filepath.Dir(from))
	}
	return nil
}

// removeIfEmpty removes dir when it has no entries left.
func removeIfEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return nil
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// closeRead closes a file that was only read (or synced): its Close error
// says nothing about the data.
func closeRead(c io.Closer) { _ = c.Close() }

// errNoExchange is exchange's answer where the filesystem cannot swap two
// directories atomically.
var errNoExchange = errors.New("warehouse: atomic exchange not supported")
