package erasure_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/schemas"
)

// The phases tools/erase prints, in order; the kill lands as each is
// printed, in the step it announces.
var erasePhases = []string{"staging", "committing", "rewriting raw files", "dimension step", "done"}

// A kill -9 of tools/erase as it enters each phase, then a run to the end,
// leaves the warehouse, the raw files and the log as one uninterrupted run
// does.
func TestKilledErasureResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tools/erase and runs it once per phase")
	}
	t.Setenv(hashKeyEnv, "erasure-test-key")
	dir := t.TempDir()
	bin := filepath.Join(dir, "erase")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/example/clickstream/tools/erase").CombinedOutput(); err != nil {
		t.Fatalf("build tools/erase: %v\n%s", err, out)
	}
	work, pristine := filepath.Join(dir, "work"), filepath.Join(dir, "pristine")
	data, out := filepath.Join(work, "data"), filepath.Join(work, "warehouse")
	if err := groundtruth.Generate(data, "--seed", "9", "--events", "4000", "--days", "2"); err != nil {
		t.Fatal(err)
	}
	sum, err := pipelines.Run(context.Background(), pipelines.Config{
		Input: []string{filepath.Join(data, "raw", "*", "*")}, Output: out, HashKeyRef: "env:" + hashKeyEnv, Shards: 4,
		BotIPFile: filepath.Join(data, "bot_ip_denylist.txt"),
	})
	if err != nil || !sum.Reconciled {
		t.Fatalf("pipeline: %v %v", err, sum.Problems)
	}
	truth, err := groundtruth.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	ids, _, _ := pickPeople(truth, 20)
	requests := filepath.Join(dir, "requests.jsonl")
	var lines []string
	for i, id := range ids {
		lines = append(lines, fmt.Sprintf(`{"request_id":"k%02d","user_id":%q,"received_at":"2026-12-01T00:00:00Z"}`, i, id))
	}
	if err := os.WriteFile(requests, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(pristine, os.DirFS(work)); err != nil {
		t.Fatal(err)
	}
	args := []string{"--warehouse=" + out, "--requests=" + requests, "--hash_key=env:" + hashKeyEnv}
	restore := func() {
		t.Helper()
		if err := os.RemoveAll(work); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(work, os.DirFS(pristine)); err != nil {
			t.Fatal(err)
		}
	}

	runErase(t, bin, args, "")
	want := snapshot(t, work)
	for _, phase := range erasePhases {
		t.Run(phase, func(t *testing.T) {
			restore()
			runErase(t, bin, args, phase)
			runErase(t, bin, args, "")
			got := snapshot(t, work)
			for _, k := range sortedKeys(want) {
				if !slices.Equal(got[k], want[k]) {
					t.Errorf("%s differs from the uninterrupted erasure's: %d entries, want %d", k, len(got[k]), len(want[k]))
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d tables and files, want %d", len(got), len(want))
			}
		})
	}
}

// runErase runs the tool to the end, or kills it with SIGKILL as it prints
// killAt.
func runErase(t *testing.T, bin string, args []string, killAt string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if killAt != "" && sc.Text() == "phase: "+killAt {
			_ = cmd.Process.Kill()
			killed = true
			break
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	switch {
	case killAt == "" && err != nil:
		t.Fatalf("erase: %v\n%s", err, stderr.String())
	case killAt != "" && !killed:
		t.Fatalf("erase never printed phase %q (%v)\n%s", killAt, err, stderr.String())
	}
}

// snapshot is what an erasure leaves: every table's rows (but the run
// bookkeeping, which names run ids, and the log's times) and every raw
// file's lines, each sorted, by table or file.
func snapshot(t *testing.T, work string) map[string][]string {
	t.Helper()
	out := filepath.Join(work, "warehouse")
	snap := map[string][]string{}
	skip := map[string]bool{"runs": true, "run_outcomes": true, "run_partitions": true, "state_dates": true,
		"dimension_lease": true, "erasure_log": true}
	for _, tbl := range schemas.Tables() {
		if skip[tbl.Name] {
			continue
		}
		snap[tbl.Name] = parquetRows(t, out, tbl.Name)
	}
	log, err := warehouse.ReadRows[schemas.ErasureLog](out, "erasure_log", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range log {
		l.StartedAt, l.FinishedAt = time.Time{}, time.Time{}
		snap["erasure_log"] = append(snap["erasure_log"], fmt.Sprintf("%+v", l))
	}
	sort.Strings(snap["erasure_log"])
	files, err := filepath.Glob(filepath.Join(work, "data", "raw", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		snap["raw "+filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f)] = []string{hex.EncodeToString(sum[:])}
	}
	if _, err := os.Stat(filepath.Join(out, "_erasure")); err == nil {
		plans, _ := os.ReadDir(filepath.Join(out, "_erasure"))
		for _, p := range plans {
			snap["plan "+p.Name()] = []string{"left behind"}
		}
	}
	return snap
}

// parquetRows are the rows of every file of table, printed and sorted.
func parquetRows(t *testing.T, out, table string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, table, "*.parquet"))
	nested, _ := filepath.Glob(filepath.Join(out, table, "*", "*.parquet"))
	var rows []string
	for _, path := range append(files, nested...) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := f.Stat()
		pf, err := parquet.OpenFile(f, info.Size())
		if err != nil {
			t.Fatal(err)
		}
		r := parquet.NewReader(pf)
		buf := make([]parquet.Row, 64)
		for {
			n, err := r.ReadRows(buf)
			for _, row := range buf[:n] {
				rows = append(rows, fmt.Sprint(row))
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		_ = r.Close()
		_ = f.Close()
	}
	sort.Strings(rows)
	return rows
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
