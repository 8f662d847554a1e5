package pipelines

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// The whole BigQuery path of a batch run, against the in-process fakes:
// the loads, the dimension step the job runs after them, and the account it
// writes. bqfake executes the models' SQL on DuckDB, so these tests prove
// the orchestration (which jobs run, in which order, what a failure
// leaves), not BigQuery's dialect (make sqlcheck checks it).

// starRuns are two runs of writeStitchingDays' events: run 1 owns days 1
// and 2, where device dA browses anonymously; run 2 owns day 3, where dA
// logs in, which resolves run 1's sessions of dA to the user.
type starRuns struct {
	// first and second are the configurations of the runs, without a sink.
	first, second Config
}

func newStarRuns(t *testing.T) starRuns {
	t.Helper()
	dir := t.TempDir()
	writeStitchingDays(t, dir)
	t.Setenv("CLICKSTREAM_IDENTITY_KEY", identityTestKey)
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	base := Config{HashKeyRef: "env:CLICKSTREAM_IDENTITY_KEY", Shards: 2}
	first, second := base, base
	first.Input = []string{filepath.Join(dir, "raw", "dt=2026-11-01", "*"), filepath.Join(dir, "raw", "dt=2026-11-02", "*")}
	first.Dates = []time.Time{day(1), day(2)}
	second.Input = []string{filepath.Join(dir, "raw", "dt=2026-11-03", "*")}
	second.Dates = []time.Time{day(3)}
	return starRuns{first: first, second: second}
}

// local runs c into the local warehouse out.
func (r starRuns) local(t *testing.T, c Config, out, runID string) *runsummary.Summary {
	t.Helper()
	c.Output, c.RunID = out, runID
	sum, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// bigQuery runs c into the dataset clickstream of srv.
func (r starRuns) bigQuery(t *testing.T, c Config, srv *bqfake.Server, runID string) *runsummary.Summary {
	t.Helper()
	c.Output, c.RunID, c.Sink = t.TempDir(), runID, SinkBigQuery
	c.BigQuery = BigQuery{Project: "demo", Dataset: "clickstream", CreateTables: true, TempLocation: t.TempDir(), Endpoint: srv.URL()}
	sum, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func newStarServer(t *testing.T) *bqfake.Server {
	t.Helper()
	srv := bqfake.NewServer("demo")
	t.Cleanup(srv.Close)
	srv.AddDataset("clickstream", "EU")
	return srv
}

// sameRows checks that table holds the same rows in the local warehouse
// out and in the fake.
func sameRows[T any](t *testing.T, out string, srv *bqfake.Server, table string) {
	t.Helper()
	local, err := warehouse.ReadRows[T](out, table, nil)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := bqfake.RowsOf[T](srv.Rows("clickstream", table))
	if err != nil {
		t.Fatal(err)
	}
	if len(local) == 0 {
		t.Errorf("%s: no rows locally: nothing compared", table)
	}
	byText := cmpopts.SortSlices(func(a, b T) bool { return fmt.Sprint(a) < fmt.Sprint(b) })
	if d := cmp.Diff(local, remote, byText, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s: BigQuery holds other rows than the local warehouse (-local +bigquery):\n%s", table, d)
	}
}

// sameStar checks every fact and dimension table.
func sameStar(t *testing.T, out string, srv *bqfake.Server) {
	t.Helper()
	sameRows[schemas.Event](t, out, srv, "fact_events")
	sameRows[schemas.Session](t, out, srv, "fact_sessions")
	sameRows[schemas.DeviceUser](t, out, srv, "dim_device_users")
	sameRows[schemas.Device](t, out, srv, "dim_devices")
	sameRows[schemas.User](t, out, srv, "dim_users")
	sameRows[schemas.Page](t, out, srv, "dim_pages")
	// No bots and no dead letters in this input: both tables are empty on
	// both sinks.
	for _, table := range []string{"bot_events", "dead_letter"} {
		if n := len(srv.Rows("clickstream", table)); n != 0 {
			t.Errorf("%s holds %d rows on BigQuery, want none", table, n)
		}
	}
}

// bigQueryAccount is a run's rows in the fake's run tables.
type bigQueryAccount struct {
	run        schemas.Run
	partitions []schemas.RunPartition
}

func readBigQueryAccount(t *testing.T, srv *bqfake.Server, runID string) bigQueryAccount {
	t.Helper()
	runs, err := bqfake.RowsOf[schemas.Run](srv.Rows("clickstream", "runs"))
	if err != nil {
		t.Fatal(err)
	}
	var a bigQueryAccount
	found := 0
	for _, r := range runs {
		if r.RunID == runID {
			a.run = r
			found++
		}
	}
	if found != 1 {
		t.Fatalf("runs has %d rows of %s, want 1", found, runID)
	}
	parts, err := bqfake.RowsOf[schemas.RunPartition](srv.Rows("clickstream", "run_partitions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if p.RunID == runID {
			a.partitions = append(a.partitions, p)
		}
	}
	outcomes, err := bqfake.RowsOf[schemas.RunOutcome](srv.Rows("clickstream", "run_outcomes"))
	if err != nil {
		t.Fatal(err)
	}
	var input, records int64
	for _, o := range outcomes {
		switch {
		case o.RunID != runID:
		case o.Outcome == "input_records":
			input += o.Records
		default:
			records += o.Records
		}
	}
	if input != a.run.InputRecords || records != input || input == 0 {
		t.Errorf("run_outcomes of %s: input_records %d, outcomes %d; runs says %d", runID, input, records, a.run.InputRecords)
	}
	return a
}

// rows are the run_partitions rows as partitionRow, sorted.
func (a bigQueryAccount) rows() []partitionRow {
	var out []partitionRow
	for _, p := range a.partitions {
		out = append(out, accountRow(p))
	}
	sortRows(out)
	return out
}

// partition is the run_partitions row of table's partition of date.
func (a bigQueryAccount) partition(t *testing.T, table, date string) schemas.RunPartition {
	t.Helper()
	for _, p := range a.partitions {
		if p.TableName == table && !p.Date.IsZero() && p.Date.UTC().Format(time.DateOnly) == date {
			return p
		}
	}
	t.Fatalf("run_partitions of %s has no row for %s %s: %v", a.run.RunID, table, date, a.rows())
	return schemas.RunPartition{}
}

// Two runs into BigQuery, where run 2's login stitches run 1's sessions,
// leave the same fact and dimension rows as the same runs into the local
// warehouse; the job's account says both reconciled, with the same
// partitions, counted and written rows as the local account, each naming
// the job that wrote it.
func TestBatchBigQueryStarEqualsLocal(t *testing.T) {
	r := newStarRuns(t)
	out := t.TempDir()
	srv := newStarServer(t)
	for _, run := range []struct {
		c     Config
		runID string
	}{{r.first, "star-1"}, {r.second, "star-2"}} {
		local := r.local(t, run.c, out, run.runID)
		remote := r.bigQuery(t, run.c, srv, run.runID)
		if !local.Reconciled || !remote.Reconciled {
			t.Fatalf("%s: reconciled locally %t %v, on BigQuery %t %v", run.runID, local.Reconciled, local.Problems, remote.Reconciled, remote.Problems)
		}
		a := readBigQueryAccount(t, srv, run.runID)
		if !a.run.Reconciled || a.run.Sink != SinkBigQuery || len(a.run.Problems) != 0 {
			t.Errorf("runs row of %s: %+v, want reconciled on bigquery", run.runID, a.run)
		}
		if got, want := a.rows(), summaryRows(local); !slices.Equal(got, want) {
			t.Errorf("run_partitions of %s on BigQuery\n%v\nwant the local run's\n%v", run.runID, got, want)
		}
		for _, p := range a.partitions {
			load := p.RowsCounted != nil && p.Status == schemas.PartitionWritten
			model := p.RowsCounted == nil
			if (load || model) && (!strings.HasPrefix(p.JobID, "clickstream_"+run.runID) || p.Attempt == nil) {
				t.Errorf("run_partitions %s %v: job %q attempt %v, want the job that wrote it", p.TableName, p.Date, p.JobID, nullable(p.Attempt))
			}
		}
	}
	sameStar(t, out, srv)
	sessions, err := bqfake.RowsOf[schemas.Session](srv.Rows("clickstream", "fact_sessions"))
	if err != nil {
		t.Fatal(err)
	}
	resolved := 0
	for _, s := range sessions {
		if s.DeviceID == "dA" && s.ResolvedUserKey != "" {
			resolved++
		}
	}
	if resolved != 3 {
		t.Errorf("%d sessions of dA resolved on BigQuery, want its 3 (run 1's two stitched by run 2's login)", resolved)
	}
}

// A load job that fails, and separately a model job that fails, in run 2:
// the run is not reconciled, run_partitions names the failed partition
// with its job, and the date stays pending; a re-run of the same day
// repairs it, leaving what two clean runs leave locally.
func TestBatchBigQueryFaultRepaired(t *testing.T) {
	r := newStarRuns(t)
	out := t.TempDir()
	r.local(t, r.first, out, "clean-1")
	r.local(t, r.second, out, "clean-2")
	for _, tt := range []struct {
		name  string
		fault func(*bqfake.Server)
		check func(t *testing.T, a bigQueryAccount, sum *runsummary.Summary)
	}{{
		name: "load",
		fault: func(srv *bqfake.Server) {
			srv.RejectRows(func(table string, row map[string]any) string {
				if table == "fact_events" && row["event_id"] == "a5" {
					return "refused by the test"
				}
				return ""
			})
		},
		check: func(t *testing.T, a bigQueryAccount, sum *runsummary.Summary) {
			p := a.partition(t, "fact_events", "2026-11-03")
			if p.Status != schemas.PartitionFailed || !strings.Contains(p.Error, "refused by the test") ||
				p.JobID != "clickstream_load-2_fact_events_20261103_a0" || nullable(p.Attempt) != "0" || nullable(p.RowsCounted) != "3" {
				t.Errorf("failed load's row: %+v", p)
			}
			if len(sum.FailedLoads) != 1 || !strings.HasPrefix(sum.FailedLoads[0], "fact_events$20261103: ") {
				t.Errorf("failed loads %q, want fact_events$20261103", sum.FailedLoads)
			}
		},
	}, {
		name: "model",
		fault: func(srv *bqfake.Server) {
			srv.FailQueryJobs("_new_dim_devices", 1, "invalidQuery")
		},
		check: func(t *testing.T, a bigQueryAccount, sum *runsummary.Summary) {
			p := a.partition(t, "state_dates", "2026-11-03")
			if p.Status != schemas.PartitionPending || !strings.Contains(p.JobID, "_new_dim_devices_a0") || nullable(p.Attempt) != "0" ||
				!strings.Contains(p.Error, "injected query job failure") {
				t.Errorf("pending date's row: %+v", p)
			}
			if sum.DimensionStepError == "" {
				t.Error("no dimension step error in the summary")
			}
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStarServer(t)
			if first := r.bigQuery(t, r.first, srv, tt.name+"-1"); !first.Reconciled {
				t.Fatalf("run 1 not reconciled: %v", first.Problems)
			}
			tt.fault(srv)
			failed := r.bigQuery(t, r.second, srv, tt.name+"-2")
			a := readBigQueryAccount(t, srv, failed.RunID)
			if failed.Reconciled || a.run.Reconciled || !slices.Equal(a.run.Problems, failed.Problems) || len(a.run.Problems) == 0 {
				t.Errorf("run 2: reconciled %t (runs: %t), problems %q (runs: %q); want not reconciled, saying why",
					failed.Reconciled, a.run.Reconciled, failed.Problems, a.run.Problems)
			}
			tt.check(t, a, failed)
			states, err := bqfake.RowsOf[schemas.StateDate](srv.Rows("clickstream", "state_dates"))
			if err != nil {
				t.Fatal(err)
			}
			pending := slices.ContainsFunc(states, func(s schemas.StateDate) bool {
				return s.EventDate.UTC().Format(time.DateOnly) == "2026-11-03" && s.Status == schemas.StatusPending && s.RunID == failed.RunID
			})
			if !pending {
				t.Errorf("state_dates %+v, want 2026-11-03 pending (run 2)", states)
			}

			srv.RejectRows(nil)
			again := r.bigQuery(t, r.second, srv, tt.name+"-3")
			if !again.Reconciled || !readBigQueryAccount(t, srv, again.RunID).run.Reconciled {
				t.Fatalf("re-run not reconciled: %v", again.Problems)
			}
			sameStar(t, out, srv)
		})
	}
}
