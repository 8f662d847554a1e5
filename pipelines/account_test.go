package pipelines

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function2x0(moveToNextDay)
}

// partitionRow is a run_partitions row as a test compares it.
type partitionRow struct {
	table, date, status string
	counted, written    string // "NULL" or the number
}

func (p partitionRow) String() string {
	return fmt.Sprintf("%s %s %s counted %s written %s", p.table, p.date, p.status, p.counted, p.written)
}

func nullable(n *int64) string {
	if n == nil {
		return "NULL"
	}
	return fmt.Sprint(*n)
}

// checkAccount checks the runs, run_outcomes and run_partitions rows of
// each run against its summary, and returns the run_partitions rows of the
// last run.
func checkAccount(t *testing.T, out string, sums ...*runsummary.Summary) []partitionRow {
	t.Helper()
	runs, err := warehouse.ReadRows[schemas.Run](out, "runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	outcomes, err := warehouse.ReadRows[schemas.RunOutcome](out, "run_outcomes", nil)
	if err != nil {
		t.Fatal(err)
	}
	partitions, err := warehouse.ReadRows[schemas.RunPartition](out, "run_partitions", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(sums) {
		t.Errorf("runs has %d rows, want one per run (%d)", len(runs), len(sums))
	}
	var last []partitionRow
	for _, s := range sums {
		i := slices.IndexFunc(runs, func(r schemas.Run) bool { return r.RunID == s.RunID })
		if i < 0 {
			t.Errorf("no runs row for %s", s.RunID)
			continue
		}
		r := runs[i]
		owned, err := schemas.ParseDates(strings.Join(s.OwnedDates, ","))
		if err != nil {
			t.Fatal(err)
		}
		want := schemas.Run{
			RunDate: schemas.DateOf(s.Started), RunID: s.RunID, Mode: schemas.ModeBatch, Sink: SinkLocal,
			FirstDate: owned[0], LastDate: owned[len(owned)-1], DatesOwned: schemas.FormatDates(owned),
			Started: s.Started.Truncate(time.Microsecond), Finished: s.Finished.Truncate(time.Microsecond),
			InputRecords: s.InputRecords, Events: s.Events, Duplicates: s.Duplicates, Bots: s.TotalBots(),
			DeadLetter: s.TotalDeadLetter(), OutOfRange: s.OutOfRange, Sessions: s.Sessions,
			Reconciled: s.Reconciled, Problems: s.Problems,
		}
		r.RunDate, r.FirstDate, r.LastDate, r.Started, r.Finished = r.RunDate.UTC(), r.FirstDate.UTC(), r.LastDate.UTC(), r.Started.UTC(), r.Finished.UTC()
		if len(r.Problems) == 0 {
			r.Problems = nil
		}
		if fmt.Sprintf("%+v", r) != fmt.Sprintf("%+v", want) {
			t.Errorf("runs row\n%+v\nwant\n%+v", r, want)
		}
		var records, input int64
		for _, o := range outcomes {
			switch {
			case o.RunID != s.RunID:
			case o.Outcome == "input_records":
				input += o.Records
			default:
				records += o.Records
				if o.Outcome == "bots" && o.Detail != "" && o.Records != s.Bots[o.Detail] {
					t.Errorf("run_outcomes: bots %s %d, the run counted %d", o.Detail, o.Records, s.Bots[o.Detail])
				}
			}
		}
		if input != s.InputRecords || records != s.InputRecords {
			t.Errorf("run_outcomes of %s: input_records %d, outcomes %d; the run read %d", s.RunID, input, records, s.InputRecords)
		}
		var got []partitionRow
		for _, p := range partitions {
			if p.RunID == s.RunID {
				got = append(got, accountRow(p))
			}
		}
		sortRows(got)
		fromSummary := summaryRows(s)
		if !slices.Equal(got, fromSummary) {
			t.Errorf("run_partitions of %s\n%v\nwant the summary's\n%v", s.RunID, got, fromSummary)
		}
		last = got
	}
	return last
}

// accountRow is a run_partitions row as a test compares it.
func accountRow(p schemas.RunPartition) partitionRow {
	date := "NULL"
	if !p.Date.IsZero() {
		date = p.Date.UTC().Format(time.DateOnly)
	}
	return partitionRow{p.TableName, date, p.Status, nullable(p.RowsCounted), nullable(p.RowsWritten)}
}

// summaryRows are the partitions of a summary as the run_partitions rows
// they make, sorted.
func summaryRows(s *runsummary.Summary) []partitionRow {
	var rows []partitionRow
	for _, p := range s.Partitions {
		date := "NULL"
		if !p.Date.IsZero() {
			date = p.Date.Format(time.DateOnly)
		}
		rows = append(rows, partitionRow{p.Table, date, p.Status, nullable(p.Counted), fmt.Sprint(p.ReadBack)})
	}
	sortRows(rows)
	return rows
}

func sortRows(rows []partitionRow) {
	slices.SortFunc(rows, func(a, b partitionRow) int { return cmp.Or(cmp.Compare(a.table, b.table), cmp.Compare(a.date, b.date)) })
}

// moveToNextDay is the fault TestPartitionVerdict injects: event m1 moves
// to the next day's partition.
func moveToNextDay(e schemas.Event, emit func(schemas.Event)) {
	if e.EventID == "m1" {
		e.EventDate = e.EventDate.AddDate(0, 0, 1)
	}
	emit(e)
}

// The verdict is per partition: a row that lands in another owned
// partition than the one counted for it leaves every table's total right,
// and the run still is not reconciled; runs and run_partitions say so.
func TestPartitionVerdict(t *testing.T) {
	dir, c := rawSample(t,
		raw("m1", "page_view", "dM", "", "2026-11-01T10:00:00.000Z"),
		raw("m2", "page_view", "dM", "", "2026-11-01T11:00:00.000Z"),
		raw("n1", "page_view", "dN", "", "2026-11-02T10:00:00.000Z"),
	)
	c.Input = []string{filepath.Join(dir, "raw", "*", "*")}
	sum, err := run(context.Background(), c, seams{beforeSinks: func(s beam.Scope, events beam.PCollection) beam.PCollection {
		return beam.ParDo(s.Scope("fault"), moveToNextDay, events)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if tc := sum.Tables["fact_events"]; tc.Counted != 3 || tc.ReadBack != 3 {
		t.Errorf("fact_events counted %d, read back %d: want 3 and 3, the fault moves a row", tc.Counted, tc.ReadBack)
	}
	want := []string{"fact_events 2026-11-01: counted 2 rows, read back 1", "fact_events 2026-11-02: counted 1 rows, read back 2"}
	if sum.Reconciled || !slices.Equal(sum.Problems, want) {
		t.Errorf("reconciled %t, problems %q; want false and %q", sum.Reconciled, sum.Problems, want)
	}
	rows := checkAccount(t, c.Output, sum)
	for _, w := range []partitionRow{
		{"fact_events", "2026-11-01", schemas.PartitionWritten, "2", "1"},
		{"fact_events", "2026-11-02", schemas.PartitionWritten, "1", "2"},
	} {
		if !slices.Contains(rows, w) {
			t.Errorf("run_partitions lacks %v: %v", w, rows)
		}
	}
}

// A dimension step that fails leaves the run's facts committed, the run
// not reconciled and its date pending, in the warehouse and in its
// account; the next run's step processes the pending date with its own.
func TestDimensionStepFailure(t *testing.T) {
	dir, c := rawSample(t,
		raw("a1", "page_view", "dA", "", "2026-11-01T10:00:00.000Z"),
		raw("b1", "page_view", "dB", "", "2026-11-02T09:00:00.000Z"),
		raw("a4", "login", "dA", "u-a", "2026-11-03T11:02:00.000Z"),
	)
	run := func(day string) *runsummary.Summary {
		t.Helper()
		c.Input, c.RunID = []string{filepath.Join(dir, "raw", "dt="+day, "*")}, ""
		sum, err := Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	first := run("2026-11-01")
	if !first.Reconciled {
		t.Fatalf("run 1 not reconciled: %v", first.Problems)
	}
	// A file DuckDB cannot read in dim_pages fails the next step.
	garbage := filepath.Join(c.Output, "dim_pages", "part-garbage.parquet")
	if err := os.WriteFile(garbage, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	failed := run("2026-11-03")
	if failed.Reconciled || failed.DimensionStepError == "" {
		t.Fatalf("run 2: reconciled %t, dimension step error %q; want false and the error", failed.Reconciled, failed.DimensionStepError)
	}
	if n, err := warehouse.CountRows(c.Output, "fact_events", nil); err != nil || n[time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)] != 1 {
		t.Errorf("fact_events after the failed step: %v, %v; want run 2's row committed", n, err)
	}
	states, err := warehouse.ReadRows[schemas.StateDate](c.Output, "state_dates", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states[1].Status != schemas.StatusPending || states[1].RunID != failed.RunID {
		t.Errorf("state_dates %+v, want 2026-11-03 pending (run 2)", states)
	}
	rows := checkAccount(t, c.Output, first, failed)
	if w := (partitionRow{"state_dates", "2026-11-03", schemas.PartitionPending, "NULL", "1"}); !slices.Contains(rows, w) {
		t.Errorf("run_partitions lacks %v: %v", w, rows)
	}

	if err := os.Remove(garbage); err != nil {
		t.Fatal(err)
	}
	next := run("2026-11-02")
	if !next.Reconciled {
		t.Fatalf("run 3 not reconciled: %v", next.Problems)
	}
	if want := []string{"2026-11-02", "2026-11-03"}; !slices.Equal(next.DimensionDates, want) {
		t.Errorf("run 3's step processed %v, want its date and the pending one %v", next.DimensionDates, want)
	}
	// dA's day-1 session resolves to the login of day 3, which only the
	// pending date brings.
	if got := next.SessionsRewritten; len(got) == 0 || !strings.HasPrefix(got[0], "2026-11-01 (1 of 1") {
		t.Errorf("run 3 rewrote %v, want 2026-11-01 (1 of 1 ...)", got)
	}
}
