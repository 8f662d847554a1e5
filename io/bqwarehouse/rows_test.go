package bqwarehouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// TestReplaceRows: the rows a Where selects are replaced in every table of
// one call, the others kept; optional columns' zero values are NULL, lists
// are arrays; a failed transaction changes nothing.
func TestReplaceRows(t *testing.T) {
	srv, r, _ := newRunner(t, 0)
	ctx := context.Background()
	runDate := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	run := func(id string, problems []string, attempt *int64) []bqwarehouse.Replace {
		const where = "run_date = @run_date AND run_id = @run_id"
		return []bqwarehouse.Replace{
			{Table: "runs", Where: where, Rows: []any{schemas.Run{
				RunDate: runDate, RunID: id, Mode: "batch", Sink: "bigquery", Started: runDate.Add(time.Hour),
				Finished: runDate.Add(2 * time.Hour), InputRecords: 3, Events: 3, Problems: problems,
			}}},
			{Table: "run_partitions", Where: where, Rows: []any{schemas.RunPartition{
				RunDate: runDate, RunID: id, TableName: "fact_events", Date: runDate, JobID: "j_a0", Attempt: attempt, Status: "written",
			}}},
		}
	}
	params := func(id string) models.Params {
		return models.Params{"run_date": models.DateOf(runDate), "run_id": id}
	}
	one := int64(1)
	for i, call := range []struct {
		id       string
		problems []string
		attempt  *int64
	}{{"r1", nil, nil}, {"r2", []string{"a", "b"}, &one}, {"r1", []string{"c"}, &one}} {
		if err := bqwarehouse.ReplaceRows(ctx, r, "ds", fmt.Sprintf("replace_%d", i), params(call.id), run(call.id, call.problems, call.attempt)); err != nil {
			t.Fatal(err)
		}
	}
	srv.FailQueryJobs("replace_fail", 1, "invalidQuery")
	if err := bqwarehouse.ReplaceRows(ctx, r, "ds", "replace_fail", params("r2"), run("r2", nil, nil)); err == nil {
		t.Fatal("a failed job gave no error")
	}

	runs, err := bqfake.RowsOf[schemas.Run](srv.Rows("ds", "runs"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, row := range runs {
		got[row.RunID] = row.Problems
	}
	if d := cmp.Diff(map[string][]string{"r1": {"c"}, "r2": {"a", "b"}}, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("runs (-want +got):\n%s", d)
	}
	for _, row := range srv.Rows("ds", "run_partitions") {
		if row["run_id"] == "r1" && (row["attempt"] != int64(1) || row["rows_counted"] != nil || row["error"] != nil) {
			t.Errorf("run_partitions row %v: want attempt 1, rows_counted and error NULL", row)
		}
	}
	if n := len(srv.Rows("ds", "run_partitions")); n != 2 {
		t.Errorf("run_partitions holds %d rows, want one per run", n)
	}

	held, err := bqwarehouse.PartitionRows(ctx, r, "ds", "partition_rows", []string{"runs", "run_partitions", "dim_devices"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[time.Time]int64{"runs": {runDate: 2}, "run_partitions": {runDate: 2}}
	if d := cmp.Diff(want, held); d != "" {
		t.Errorf("partition rows (-want +got):\n%s", d)
	}
}
