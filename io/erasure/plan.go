package erasure

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// planDir holds the raw plans of erasures in progress; like every name the
// warehouse keeps out of its tables, it starts with "_".
const planDir = "_erasure"

const planSuffix = ".plan.json"

func planPath(out, runID string) string { return filepath.Join(out, planDir, runID+planSuffix) }

// writePlan writes plan durably (a synced temporary file renamed into
// place).
func writePlan(out, runID string, plan rawPlan) error {
	b, err := json.Marshal(plan)
	if err != nil {
		return fmt.Errorf("erasure: plan: %w", err)
	}
	dir := filepath.Join(out, planDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("erasure: plan: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".plan-*")
	if err != nil {
		return fmt.Errorf("erasure: plan: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), planPath(out, runID))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("erasure: plan: %w", err)
	}
	return syncDir(dir)
}

func readPlan(out, runID string) (rawPlan, error) {
	b, err := os.ReadFile(planPath(out, runID))
	if err != nil {
		return nil, fmt.Errorf("erasure: plan: %w", err)
	}
	var plan rawPlan
	if err := json.Unmarshal(b, &plan); err != nil {
		return nil, fmt.Errorf("erasure: plan %s: %w", runID, err)
	}
	return plan, nil
}

func removePlan(out, runID string) error {
	if err := os.Remove(planPath(out, runID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("erasure: plan: %w", err)
	}
	return nil
}

// leftoverPlans are the run ids of the plans in the warehouse, sorted.
func leftoverPlans(out string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(out, planDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("erasure: plans: %w", err)
	}
	var runs []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), planSuffix); ok {
			runs = append(runs, name)
		}
	}
	sort.Strings(runs)
	return runs, nil
}
