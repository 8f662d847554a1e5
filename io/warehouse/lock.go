package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/example/clickstream/schemas"
)

// The lock files (see the package doc, Locks).
const (
	warehouseLockName = "_warehouse.lock" // in the warehouse directory
	runLockName       = "LOCK"            // in a run's staging directory
	runInfoName       = "RUN.json"        // in a batch run's staging directory
)

func warehouseLockPath(out string) string { return filepath.Join(out, warehouseLockName) }

func runLockPath(out, runID string) string { return filepath.Join(runDir(out, runID), runLockName) }

func runInfoPath(out, runID string) string { return filepath.Join(runDir(out, runID), runInfoName) }

// exclusiveDepth counts, per warehouse directory (absolute), how deeply this
// process is inside Exclusive: a nested call (Commit or Recover inside the
// driver's Exclusive) runs under the hold it already has, where a second
// flock on another descriptor would wait for itself.
var exclusiveDepth = struct {
	sync.Mutex
	dirs map[string]int
}{dirs: map[string]int{}}

// Exclusive runs fn while this process holds the exclusive lock of the
// warehouse under out, waiting for it as long as another process holds the
// lock, exclusive or shared. Commit and Recover take it themselves; a driver
// wraps its commit and the steps that read the committed warehouse and
// rewrite it (the dimension step) in one Exclusive, so that no streaming
// file is published between what such a step read and what it replaces.
//
// Exclusive is re-entrant within a process: a call inside fn, from any
// goroutine, runs at once. A process therefore runs one writer at a time per
// warehouse; the lock orders processes.
func Exclusive(out string, fn func() error) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("warehouse: lock %s: %w", out, err)
	}
	exclusiveDepth.Lock()
	nested := exclusiveDepth.dirs[abs] > 0
	if nested {
		exclusiveDepth.dirs[abs]++
	}
	exclusiveDepth.Unlock()
	if !nested {
		lock, err := lockWarehouse(abs, false)
		if err != nil {
			return err
		}
		defer unlock(lock)
		exclusiveDepth.Lock()
		exclusiveDepth.dirs[abs]++
		exclusiveDepth.Unlock()
	}
	defer func() {
		exclusiveDepth.Lock()
		if exclusiveDepth.dirs[abs]--; exclusiveDepth.dirs[abs] == 0 {
			delete(exclusiveDepth.dirs, abs)
		}
		exclusiveDepth.Unlock()
	}()
	return fn()
}

// holdsExclusive reports whether this process is inside Exclusive for out.
func holdsExclusive(out string) bool {
	abs, err := filepath.Abs(out)
	if err != nil {
		return false
	}
	exclusiveDepth.Lock()
	defer exclusiveDepth.Unlock()
	return exclusiveDepth.dirs[abs] > 0
}

// shared runs fn under the warehouse's shared lock: many holders at once,
// none while an Exclusive is held. Streaming publishes and run registrations
// take it. Inside this process's Exclusive, fn runs at once.
func shared(out string, fn func() error) error {
	if holdsExclusive(out) {
		return fn()
	}
	lock, err := lockWarehouse(out, true)
	if err != nil {
		return err
	}
	defer unlock(lock)
	return fn()
}

// lockWarehouse takes the warehouse lock, shared or exclusive, waiting for
// it; a wait is logged with the lock's path, once.
func lockWarehouse(out string, shared bool) (*flock.Flock, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse: lock: %w", err)
	}
	lock := flock.New(warehouseLockPath(out))
	try, wait, mode := lock.TryLock, lock.Lock, "exclusive"
	if shared {
		try, wait, mode = lock.TryRLock, lock.RLock, "shared"
	}
	ok, err := try()
	if err == nil && !ok {
		// Streaming publishes wait for every commit: only the driver's wait
		// is worth telling at the default level.
		level := slog.LevelInfo
		if shared {
			level = slog.LevelDebug
		}
		slog.Log(context.Background(), level, "waiting for the warehouse lock", "lock", lock.Path(), "mode", mode)
		err = wait()
	}
	if err != nil {
		return nil, fmt.Errorf("warehouse: %s lock %s: %w", mode, lock.Path(), err)
	}
	return lock, nil
}

// unlock releases a lock. The kernel releases it anyway when the descriptor
// closes or the process dies, so an error changes nothing.
func unlock(lock *flock.Flock) { _ = lock.Unlock() }

// RunInfo describes a batch run to the other processes that write to the
// same warehouse. It is kept in the run's staging directory (RUN.json) for as
// long as the run holds it.
type RunInfo struct {
	RunID string `json:"run_id"`
	// Dates are the dates the run owns, whose partitions its commit
	// replaces; nil means every date of its input, not known in advance.
	Dates   []time.Time `json:"dates"`
	PID     int         `json:"pid"`
	Host    string      `json:"host"`
	Started time.Time   `json:"started"`
}

func (r RunInfo) String() string {
	return fmt.Sprintf("run %s (pid %d on %s, started %s, dates %s)",
		r.RunID, r.PID, r.Host, r.Started.UTC().Format(time.RFC3339), formatDates(r.Dates))
}

func formatDates(dates []time.Time) string {
	if dates == nil {
		return "every date of its input"
	}
	s := make([]string, len(dates))
	for i, d := range dates {
		s[i] = d.UTC().Format(dateLayout)
	}
	return strings.Join(s, ",")
}

// overlap returns the dates both runs own; with a run that owns every date
// of its input (nil), all of the other's, or nil dates for both.
func (r RunInfo) overlap(other RunInfo) (dates []time.Time, ok bool) {
	switch {
	case r.Dates == nil:
		return other.Dates, true
	case other.Dates == nil:
		return r.Dates, true
	}
	for _, d := range r.Dates {
		if slices.ContainsFunc(other.Dates, func(o time.Time) bool { return schemas.DateOf(o).Equal(schemas.DateOf(d)) }) {
			dates = append(dates, d)
		}
	}
	return dates, len(dates) > 0
}

// RunConflictError is returned by BeginRun when another live batch run
// would replace some of the same partitions.
type RunConflictError struct {
	// Lock is the lock file the other run holds.
	Lock string
	// Holder is the other run.
	Holder RunInfo
	// Dates are the dates both runs own (nil: not known in advance, because
	// one of them owns every date of its input).
	Dates []time.Time
}

func (e *RunConflictError) Error() string {
	return fmt.Sprintf("warehouse: %s holds %s and replaces the same partitions (dates %s): wait for it to end, or own other dates",
		e.Holder, e.Lock, formatDates(e.Dates))
}

// ErrRunInUse is returned by BeginRun when another process holds the
// staging of the same run id.
var ErrRunInUse = errors.New("warehouse: run id in use by another process")

// Run is a batch run's hold on its staging directory, from BeginRun until
// Close. While it is held, Recover in any process leaves the staging alone.
type Run struct {
	info RunInfo
	lock *flock.Flock
}

// BeginRun creates the staging directory of a batch run that writes to the
// warehouse under out, locks it for the life of the run, and records info
// there (PID and Host are filled in; a zero Started is now). Call it before
// the run's pipeline starts, after Recover, and Close the Run when the run
// ends: the lock also ends with the process, however it dies.
//
// It fails fast, with a *RunConflictError naming the other run and its
// lock, when a live batch run owns some of the same dates (a run that owns
// every date of its input overlaps any run), and with ErrRunInUse when
// another process holds the same run id. Two overlapping runs that begin at
// the same moment may both fail; neither has changed anything.
func BeginRun(out string, info RunInfo) (*Run, error) {
	if err := checkRunID(info.RunID); err != nil {
		return nil, err
	}
	info.PID = os.Getpid()
	info.Host, _ = os.Hostname()
	if info.Started.IsZero() {
		info.Started = time.Now()
	}
	r := &Run{info: info}
	// Registration is shared-locked so that Recover (exclusive) never sees
	// a run directory between its creation and its lock, and a probe below
	// never mistakes Recover's hold on a dead run for a live run.
	err := shared(out, func() error {
		lock, err := lockRun(out, info.RunID, false)
		if err != nil {
			return err
		}
		r.lock = lock
		if err := writeRunInfo(out, info); err != nil {
			return err
		}
		// The info is written before the others are checked: of two runs
		// registering at once, at least the later one sees the other.
		return checkConflicts(out, info)
	})
	if err != nil {
		if r.lock != nil {
			// Nothing was staged yet: the directory goes with the lock.
			_ = os.RemoveAll(runDir(out, info.RunID))
			unlock(r.lock)
		}
		return nil, err
	}
	return r, nil
}

// Close releases the run's staging lock. A run that committed has no
// staging left; the staging of one that did not is removed by the next
// Recover.
func (r *Run) Close() error {
	if err := r.lock.Unlock(); err != nil {
		return fmt.Errorf("warehouse: release run %s: %w", r.info.RunID, err)
	}
	return nil
}

// lockRun creates the staging directory of runID and locks it, exclusive
// for a batch run, shared for the streaming appenders of a run (each keeps
// its own descriptor). The caller holds the warehouse lock.
func lockRun(out, runID string, shared bool) (*flock.Flock, error) {
	if err := os.MkdirAll(runDir(out, runID), 0o755); err != nil {
		return nil, fmt.Errorf("warehouse: begin run %s: %w", runID, err)
	}
	lock := flock.New(runLockPath(out, runID))
	try := lock.TryLock
	if shared {
		try = lock.TryRLock
	}
	ok, err := try()
	if err != nil {
		return nil, fmt.Errorf("warehouse: lock run %s: %w", runID, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s is locked", ErrRunInUse, lock.Path())
	}
	return lock, nil
}

func writeRunInfo(out string, info RunInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("warehouse: run info: %w", err)
	}
	path := runInfoPath(out, info.RunID)
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		return fmt.Errorf("warehouse: run info: %w", err)
	}
	return rename(path+".tmp", path)
}

// checkConflicts returns a *RunConflictError for the first other live batch
// run that owns some of info's dates.
func checkConflicts(out string, info RunInfo) error {
	entries, err := os.ReadDir(stagingRoot(out))
	if err != nil {
		return fmt.Errorf("warehouse: list runs: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == info.RunID {
			continue
		}
		other, live, err := liveBatchRun(out, e.Name())
		if err != nil {
			return err
		}
		if !live {
			continue
		}
		if dates, ok := info.overlap(other); ok {
			return &RunConflictError{Lock: runLockPath(out, e.Name()), Holder: other, Dates: dates}
		}
	}
	return nil
}

// liveBatchRun reports whether the staging directory of runID belongs to a
// live batch run (one that holds its lock exclusively), and returns its info.
// A shared probe is used, so that two probes of a dead run never see each
// other as its holder; streaming appenders hold run locks shared and are
// not batch runs.
func liveBatchRun(out, runID string) (RunInfo, bool, error) {
	lock := flock.New(runLockPath(out, runID), flock.SetFlag(os.O_RDONLY))
	free, err := lock.TryRLock()
	if errors.Is(err, fs.ErrNotExist) {
		return RunInfo{}, false, nil
	}
	if err != nil {
		return RunInfo{}, false, fmt.Errorf("warehouse: probe run %s: %w", runID, err)
	}
	if free {
		unlock(lock)
		return RunInfo{}, false, nil
	}
	b, err := os.ReadFile(runInfoPath(out, runID))
	if errors.Is(err, fs.ErrNotExist) {
		return RunInfo{}, false, nil // registering: it will see us
	}
	if err != nil {
		return RunInfo{}, false, fmt.Errorf("warehouse: probe run %s: %w", runID, err)
	}
	var info RunInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return RunInfo{}, false, fmt.Errorf("warehouse: probe run %s: %s: %w", runID, runInfoName, err)
	}
	return info, true, nil
}
