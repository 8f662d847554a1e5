package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/tools/runstatus/runstatustest"
)

var (
	day      = time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	started  = time.Date(2026, 11, 6, 7, 0, 12, 0, time.UTC)
	spaces   = regexp.MustCompile(`[ \t]+`)
	reported = []string{ // what the summary of runstatustest.DailyRun says, whatever the warehouse
		"Run daily-1: 2026-11-05 in 754.0s (1 records/s)",
		"input_records 1000",
		"events 900 90.00%",
		"duplicates 30 3.00%",
		"bots 40 4.00%",
		"ip 10",
		"rate 30",
		"dead_letter 25 2.50%",
		"bad_json 20",
		"too_large 5",
		"out_of_range 3 0.30%",
		"erased 2 0.20%",
		"sessions 120",
		"table bot_events counted 40, read back 40",
		"table dead_letter counted 25, read back 25",
		"table fact_events counted 900, read back 900",
		"table fact_sessions counted 120, read back 120",
		"table dim_device_users 90 rows",
		"table dim_devices 300 rows",
		"table dim_pages 50 rows",
		"table dim_users 80 rows",
		"identity: rewrote fact_sessions 2026-11-04 (110 sessions)",
	}
)

// runStatus runs the command and returns its exit status and its output,
// runs of blanks squeezed to one space.
func runStatus(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	squeeze := func(s string) string { return spaces.ReplaceAllString(s, " ") }
	return code, squeeze(out.String()), squeeze(errOut.String())
}

// wantLines fails unless every line of want is a line of out, leading and
// trailing blanks aside.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("no line %q in:\n%s", w, out)
		}
	}
}

func TestLocalWarehouse(t *testing.T) {
	dir := t.TempDir()
	older := runstatustest.DailyRun("daily-0", "", day.AddDate(0, 0, -1), started.AddDate(0, 0, -1))
	older.FailPartition("dead_letter", day.AddDate(0, 0, -1), "disk full")
	newest := runstatustest.DailyRun("daily-1", "", day, started)
	runstatustest.PutLocal(t, dir, older, newest)

	t.Run("the newest run", func(t *testing.T) {
		code, out, errOut := runStatus(t, "--warehouse", dir)
		if code != exitOK {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitOK, errOut)
		}
		wantLines(t, out, append(reported, "reconciled: true")...)
		if strings.Contains(out, "not in order") {
			t.Errorf("a reconciled run lists partitions not in order:\n%s", out)
		}
	})
	t.Run("a run by id, not reconciled", func(t *testing.T) {
		code, out, errOut := runStatus(t, "--warehouse", dir, "--run_id", "daily-0")
		if code != exitNotReconciled {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitNotReconciled, errOut)
		}
		wantLines(t, out,
			"table dead_letter counted 25, read back 0",
			"reconciled: false",
			"problem: load failed: dead_letter 2026-11-04: disk full",
			"partitions not in order:",
			"dead_letter 2026-11-04: failed, counted 25 rows, job clickstream_daily-0_dead_letter_20261104_a2 (attempt 2): disk full",
		)
	})
	t.Run("history", func(t *testing.T) {
		code, out, _ := runStatus(t, "--warehouse", dir, "--list")
		if code != exitOK {
			t.Errorf("exit %d, want %d", code, exitOK)
		}
		wantLines(t, out,
			"started (UTC) run_id dates sink job_id input_records seconds verdict",
			"2026-11-06 07:00:12 daily-1 2026-11-05 bigquery - 1000 754 reconciled",
			"2026-11-05 07:00:12 daily-0 2026-11-04 bigquery - 1000 754 NOT reconciled: load failed: dead_letter 2026-11-04: disk full",
		)
		if i, j := strings.Index(out, "daily-1"), strings.Index(out, "daily-0"); i > j {
			t.Errorf("history not newest first:\n%s", out)
		}
		code, out, _ = runStatus(t, "--warehouse", dir, "--list", "--limit", "1")
		if code != exitOK || strings.Contains(out, "daily-0") {
			t.Errorf("--limit 1: exit %d, output:\n%s", code, out)
		}
	})
	t.Run("an unknown run", func(t *testing.T) {
		code, _, errOut := runStatus(t, "--warehouse", dir, "--run_id", "nope")
		if code != exitFailed || !strings.Contains(errOut, "no row in runs for run nope") {
			t.Errorf("exit %d, stderr %q; want %d and the run named", code, errOut, exitFailed)
		}
	})
	t.Run("no warehouse", func(t *testing.T) {
		code, _, errOut := runStatus(t, "--warehouse", dir+"/missing")
		if code != exitFailed || !strings.Contains(errOut, "missing") {
			t.Errorf("exit %d, stderr %q; want %d and the directory named", code, errOut, exitFailed)
		}
	})
}

// TestReadRows reads back, from either warehouse, exactly the rows put
// there: every column of the three tables, NULLs and lists included (an
// empty list may come back nil or empty).
func TestReadRows(t *testing.T) {
	failed := runstatustest.DailyRun("daily-0", "2026-11-05_00_00_00-1", day.AddDate(0, 0, -1), started.AddDate(0, 0, -1))
	failed.FailPartition("fact_events", day.AddDate(0, 0, -1), "backendError: try again")
	failed.Run.Problems = append(failed.Run.Problems, "a second problem")
	accounts := []runstatustest.Account{failed, runstatustest.DailyRun("daily-1", "", day, started)}

	dir := t.TempDir()
	runstatustest.PutLocal(t, dir, accounts...)
	fake := runstatustest.NewBigQuery(t, "proj", "ds")
	runstatustest.PutBigQuery(t, fake, accounts...)

	for name, o := range map[string]options{
		"local":    {warehouse: dir},
		"bigquery": {bqProject: "proj", bqDataset: "ds", bqEndpoint: fake.URL()},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			tbl, err := openTables(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.close()
			runs, err := readRows[schemas.Run](ctx, tbl, "runs", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			want := []schemas.Run{accounts[0].Run, accounts[1].Run}
			if d := cmp.Diff(want, runs, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("runs (-want +got):\n%s", d)
			}
			for _, a := range accounts {
				got, err := readAccount(ctx, tbl, a.Run)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(a.Outcomes, got.outcomes); d != "" {
					t.Errorf("run_outcomes of %s (-want +got):\n%s", a.Run.RunID, d)
				}
				if d := cmp.Diff(a.Partitions, got.partitions); d != "" {
					t.Errorf("run_partitions of %s (-want +got):\n%s", a.Run.RunID, d)
				}
			}
		})
	}
}

func TestBigQuery(t *testing.T) {
	fake := runstatustest.NewBigQuery(t, "proj", "ds")
	ok := runstatustest.DailyRun("daily-1", "", day, started)
	failed := runstatustest.DailyRun("daily-2", "", day, started.Add(time.Hour))
	failed.FailPartition("fact_events", day, "backendError: the load failed 3 times")
	runstatustest.PutBigQuery(t, fake, ok, failed)
	bq := []string{"--bq_project", "proj", "--bq_dataset", "ds", "--bq_endpoint", fake.URL()}

	code, out, errOut := runStatus(t, append(bq, "--run_id", "daily-1")...)
	if code != exitOK {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitOK, errOut)
	}
	wantLines(t, out, append(reported, "reconciled: true")...)

	code, out, errOut = runStatus(t, bq...)
	if code != exitNotReconciled {
		t.Errorf("newest run: exit %d, want %d; stderr:\n%s", code, exitNotReconciled, errOut)
	}
	wantLines(t, out,
		"table fact_events counted 900, read back 0",
		"reconciled: false",
		"problem: load failed: fact_events 2026-11-05: backendError: the load failed 3 times",
		"fact_events 2026-11-05: failed, counted 900 rows, job clickstream_daily-2_fact_events_20261105_a2 (attempt 2): backendError: the load failed 3 times",
	)
}

// TestContradictions checks that rows contradicting the run's own verdict
// make it not reconciled.
func TestContradictions(t *testing.T) {
	for _, tt := range []struct {
		name  string
		alter func(*runstatustest.Account)
		want  []string
	}{
		{
			name: "run_outcomes not written",
			alter: func(a *runstatustest.Account) {
				a.Outcomes = nil
			},
			want: []string{
				"bots 40 4.00%",
				"(not in run_outcomes) 40",
				"problem: run_outcomes: bots by detail add up to 0, runs.bots is 40",
				"problem: run_outcomes: dead_letter by detail add up to 0, runs.dead_letter is 25",
			},
		},
		{
			name: "a failed partition in a reconciled run",
			alter: func(a *runstatustest.Account) {
				a.FailPartition("bot_events", day, "invalid")
				a.Run.Reconciled, a.Run.Problems = true, nil
			},
			want: []string{
				"problem: runs says reconciled, but run_partitions has 1 partition(s) not in order (below)",
				"bot_events 2026-11-05: failed, counted 40 rows, job clickstream_daily-1_bot_events_20261105_a2 (attempt 2): invalid",
			},
		},
		{
			name: "a partition holding other rows than counted",
			alter: func(a *runstatustest.Account) {
				n := int64(899)
				a.Partitions[0].RowsWritten = &n
			},
			want: []string{
				"table fact_events counted 900, read back 899",
				"fact_events 2026-11-05: written, counted 900 rows, holds 899, job clickstream_daily-1_fact_events_20261105_a0 (attempt 0)",
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := runstatustest.DailyRun("daily-1", "", day, started)
			tt.alter(&a)
			dir := t.TempDir()
			runstatustest.PutLocal(t, dir, a)
			code, out, _ := runStatus(t, "--warehouse", dir)
			if code != exitNotReconciled {
				t.Errorf("exit %d, want %d", code, exitNotReconciled)
			}
			wantLines(t, out, append(tt.want, "reconciled: false")...)
		})
	}
}

func TestWait(t *testing.T) {
	fake := runstatustest.NewBigQuery(t, "proj", "ds")
	ok := runstatustest.DailyRun("daily-1", "job-1", day, started)
	failed := runstatustest.DailyRun("daily-2", "job-2", day, started.Add(time.Hour))
	failed.FailPartition("dead_letter", day, "invalid: a row does not fit")
	runstatustest.PutBigQuery(t, fake, ok, failed)

	df := runstatustest.NewDataflow("proj", "europe-west4")
	defer df.Close()
	const running, done = "JOB_STATE_RUNNING", "JOB_STATE_DONE"
	df.AddJob("job-1", "clickstream-daily", started, "JOB_STATE_QUEUED", running, running, done)
	df.AddJob("job-2", "clickstream-daily", started.Add(time.Hour), running, done)
	df.AddJob("job-3", "clickstream-broken", started, running, "JOB_STATE_FAILED")
	df.AddMessage("job-3", "JOB_MESSAGE_WARNING", "a warning, not reported", started)
	df.AddMessage("job-3", "JOB_MESSAGE_ERROR", "Workflow failed.", started.Add(2*time.Minute))
	df.AddMessage("job-3", "JOB_MESSAGE_ERROR", "the launcher could not read the template", started.Add(time.Minute))
	df.AddJob("job-4", "clickstream-cancelled", started, "JOB_STATE_CANCELLED")
	df.AddJob("job-5", "clickstream-flaky", started, running, done)
	wait := []string{"--wait", "--project", "proj", "--region", "europe-west4", "--poll", "1ms",
		"--dataflow_endpoint", df.URL(), "--bq_project", "proj", "--bq_dataset", "ds", "--bq_endpoint", fake.URL()}

	t.Run("reconciled: the run the job wrote", func(t *testing.T) {
		code, out, errOut := runStatus(t, append(wait, "--job_id", "job-1")...)
		if code != exitOK {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitOK, errOut)
		}
		if got := df.Gets("job-1"); got != 4 {
			t.Errorf("job-1 read %d times, want 4 (until done)", got)
		}
		for _, w := range []string{"job job-1 (clickstream-daily): JOB_STATE_QUEUED, waited ", "job job-1 (clickstream-daily): JOB_STATE_RUNNING, waited ", "job job-1 (clickstream-daily): JOB_STATE_DONE after "} {
			if !strings.Contains(errOut, w) {
				t.Errorf("no progress %q in:\n%s", w, errOut)
			}
		}
		wantLines(t, out, append(reported, "reconciled: true", "Dataflow job job-1")...)
	})
	t.Run("not reconciled, by job name", func(t *testing.T) {
		code, out, errOut := runStatus(t, append(wait, "--job_name", "clickstream-daily")...)
		if code != exitNotReconciled {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitNotReconciled, errOut)
		}
		if !strings.Contains(errOut, "waiting for Dataflow job job-2 ") {
			t.Errorf("not waiting for the newest job named clickstream-daily (job-2):\n%s", errOut)
		}
		wantLines(t, out, "Run daily-2: 2026-11-05 in 754.0s (1 records/s)", "reconciled: false",
			"dead_letter 2026-11-05: failed, counted 25 rows, job clickstream_daily-2_dead_letter_20261105_a2 (attempt 2): invalid: a row does not fit")
	})
	t.Run("failed job", func(t *testing.T) {
		code, out, errOut := runStatus(t, append(wait, "--job_id", "job-3", "--run_id", "daily-1")...)
		if code != exitFailed {
			t.Errorf("exit %d, want %d", code, exitFailed)
		}
		if out != "" {
			t.Errorf("a failed job printed a summary:\n%s", out)
		}
		want := "Dataflow job job-3 (clickstream-broken) ended JOB_STATE_FAILED; its newest error messages:\n" +
			" 2026-11-06T07:01:12Z the launcher could not read the template\n" +
			" 2026-11-06T07:02:12Z Workflow failed.\n"
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks\n%s\nin:\n%s", want, errOut)
		}
	})
	t.Run("cancelled job", func(t *testing.T) {
		code, _, errOut := runStatus(t, append(wait, "--job_id", "job-4")...)
		if code != exitFailed || !strings.Contains(errOut, "Dataflow job job-4 (clickstream-cancelled) ended JOB_STATE_CANCELLED\n") {
			t.Errorf("exit %d, want %d and the state; stderr:\n%s", code, exitFailed, errOut)
		}
	})
	t.Run("a job done without its run's row", func(t *testing.T) {
		code, _, errOut := runStatus(t, append(wait, "--job_id", "job-5")...)
		if code != exitFailed || !strings.Contains(errOut, "no row in runs for Dataflow job job-5") {
			t.Errorf("exit %d, want %d and the job named; stderr:\n%s", code, exitFailed, errOut)
		}
	})
	t.Run("unknown job", func(t *testing.T) {
		code, _, errOut := runStatus(t, append(wait, "--job_id", "job-9")...)
		if code != exitFailed || !strings.Contains(errOut, "read Dataflow job job-9") {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFailed, errOut)
		}
		code, _, errOut = runStatus(t, append(wait, "--job_name", "nameless")...)
		if code != exitFailed || !strings.Contains(errOut, "no Dataflow job named nameless in proj/europe-west4") {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFailed, errOut)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		df.AddJob("job-6", "clickstream-long", started, running)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-df.Answered("job-6", 3)
			cancel()
		}()
		var out, errOut bytes.Buffer
		code := run(ctx, append(wait, "--job_id", "job-6"), &out, &errOut)
		if code != exitFailed || !strings.Contains(errOut.String(), "stopped waiting for Dataflow job job-6, which goes on: context canceled") {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFailed, errOut.String())
		}
	})
	t.Run("API errors in a row", func(t *testing.T) {
		df.FailGets(maxPollErrors - 1)
		code, _, errOut := runStatus(t, append(wait, "--job_id", "job-1")...)
		if code != exitOK || strings.Count(errOut, "reading its state failed") != maxPollErrors-1 {
			t.Errorf("%d failed polls: exit %d, want %d, each reported; stderr:\n%s", maxPollErrors-1, code, exitOK, errOut)
		}
		df.FailGets(maxPollErrors)
		code, _, errOut = runStatus(t, append(wait, "--job_id", "job-1")...)
		if code != exitFailed || !strings.Contains(errOut, "503") {
			t.Errorf("%d failed polls: exit %d, want %d; stderr:\n%s", maxPollErrors, code, exitFailed, errOut)
		}
	})
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"extra"},
		{"--bq_project", "p"},
		{"--bq_project", "p", "--bq_dataset", "d", "--warehouse", "w"},
		{"--list", "--run_id", "r"},
		{"--list", "--limit", "0"},
		{"--job_id", "j"},
		{"--wait", "--job_id", "j", "--project", "p"},
		{"--wait", "--project", "p", "--region", "r"},
		{"--wait", "--project", "p", "--region", "r", "--job_id", "j", "--job_name", "n"},
		{"--wait", "--project", "p", "--region", "r", "--job_id", "j", "--poll", "0s"},
		{"--no_such_flag"},
	} {
		if code, _, errOut := runStatus(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d and why", args, code, errOut, exitUsage)
		}
	}
	if code, _, errOut := runStatus(t, "--help"); code != exitOK || !strings.Contains(errOut, "Usage: runstatus") {
		t.Errorf("--help: exit %d, stderr %q", code, errOut)
	}
}
