package runstatustest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// Account is a run's rows in the run tables.
type Account struct {
	Run        schemas.Run
	Outcomes   []schemas.RunOutcome
	Partitions []schemas.RunPartition
}

// DailyRun returns the account of a reconciled batch run on BigQuery that
// owns day and started at started, as Dataflow job jobID (none when ""):
//
//	input_records 1000 = events 900 + duplicates 30 + bots 40 (ip 10,
//	rate 30) + dead_letter 25 (bad_json 20, too_large 5) + out_of_range 3
//	+ erased 2
//
// with 120 sessions, day's partitions of fact_events, fact_sessions,
// bot_events and dead_letter holding the rows counted, the four dimensions
// rebuilt (dim_device_users 90, dim_devices 300, dim_pages 50, dim_users 80
// rows) and fact_sessions of the day before re-resolved (110 sessions).
func DailyRun(runID, jobID string, day, started time.Time) Account {
	runDate := schemas.DateOf(started)
	r := schemas.Run{
		RunDate: runDate, RunID: runID, Mode: "batch", Sink: "bigquery", JobID: jobID,
		FirstDate: day, LastDate: day, DatesOwned: day.Format(time.DateOnly),
		Started: started.UTC(), Finished: started.Add(754 * time.Second).UTC(),
		InputRecords: 1000, Events: 900, Duplicates: 30, Bots: 40, DeadLetter: 25, OutOfRange: 3, Erased: 2,
		Sessions: 120, Reconciled: true,
	}
	a := Account{Run: r}
	for _, o := range []struct {
		outcome, detail string
		records         int64
	}{
		{"input_records", "", 1000}, {"events", "", 900}, {"duplicates", "", 30},
		{"bots", "ip", 10}, {"bots", "rate", 30},
		{"dead_letter", "bad_json", 20}, {"dead_letter", "too_large", 5},
		{"out_of_range", "", 3}, {"unwritable", "", 0}, {"erased", "", 2},
	} {
		a.Outcomes = append(a.Outcomes, schemas.RunOutcome{RunDate: runDate, RunID: runID, Outcome: o.outcome, Detail: o.detail, Records: o.records})
	}
	counted := func(table string, rows int64) {
		a.Partitions = append(a.Partitions, schemas.RunPartition{
			RunDate: runDate, RunID: runID, TableName: table, Date: day,
			JobID: fmt.Sprintf("clickstream_%s_%s_%s_a0", runID, table, day.Format("20060102")), Attempt: ptr(int64(0)),
			Status: schemas.PartitionWritten, RowsCounted: ptr(rows), RowsWritten: ptr(rows),
		})
	}
	counted("fact_events", 900)
	counted("fact_sessions", 120)
	counted("bot_events", 40)
	counted("dead_letter", 25)
	derived := func(table string, date time.Time, rows int64) {
		a.Partitions = append(a.Partitions, schemas.RunPartition{
			RunDate: runDate, RunID: runID, TableName: table, Date: date,
			JobID: fmt.Sprintf("clickstream_%s_model_%s_a0", runID, table), Attempt: ptr(int64(0)),
			Status: schemas.PartitionWritten, RowsWritten: ptr(rows),
		})
	}
	derived("dim_device_users", time.Time{}, 90)
	derived("dim_devices", time.Time{}, 300)
	derived("dim_pages", time.Time{}, 50)
	derived("dim_users", time.Time{}, 80)
	derived("fact_sessions", day.AddDate(0, 0, -1), 110)
	return a
}

// FailPartition makes the load of table's partition of date fail for good
// on its third attempt with message: the partition holds what it held
// before the run, and the run is not reconciled, saying so.
func (a *Account) FailPartition(table string, date time.Time, message string) {
	for i := range a.Partitions {
		p := &a.Partitions[i]
		if p.TableName != table || !p.Date.Equal(date) {
			continue
		}
		p.Status, p.RowsWritten, p.Error = schemas.PartitionFailed, nil, message
		p.JobID, p.Attempt = fmt.Sprintf("clickstream_%s_%s_%s_a2", a.Run.RunID, table, date.Format("20060102")), ptr(int64(2))
		a.Run.Reconciled = false
		a.Run.Problems = append(a.Run.Problems, fmt.Sprintf("load failed: %s %s: %s", table, date.Format(time.DateOnly), message))
		return
	}
	panic(fmt.Sprintf("runstatustest: no partition %s %s", table, date.Format(time.DateOnly)))
}

// PutBigQuery replaces the rows of each run table in b with those of
// accounts, through a load job of the Parquet file the warehouse writes for
// them.
func PutBigQuery(tb testing.TB, b *BigQuery, accounts ...Account) {
	tb.Helper()
	client := b.client(tb)
	var runs []schemas.Run
	var outcomes []schemas.RunOutcome
	var partitions []schemas.RunPartition
	for _, a := range accounts {
		runs = append(runs, a.Run)
		outcomes = append(outcomes, a.Outcomes...)
		partitions = append(partitions, a.Partitions...)
	}
	load(tb, client, b.Dataset, "runs", runs)
	load(tb, client, b.Dataset, "run_outcomes", outcomes)
	load(tb, client, b.Dataset, "run_partitions", partitions)
}

// load replaces the rows of table with rows.
func load[T any](tb testing.TB, client *bigquery.Client, dataset, table string, rows []T) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), table+".parquet")
	if err := bqfake.WriteParquet(path, table, rows); err != nil {
		tb.Fatal(err)
	}
	ref := bigquery.NewGCSReference(path)
	ref.SourceFormat = bigquery.Parquet
	ref.ParquetOptions = &bigquery.ParquetOptions{EnableListInference: true}
	loader := client.Dataset(dataset).Table(table).LoaderFrom(ref)
	loader.WriteDisposition, loader.CreateDisposition = bigquery.WriteTruncate, bigquery.CreateNever
	ctx := context.Background()
	job, err := loader.Run(ctx)
	if err != nil {
		tb.Fatalf("load %s: %v", table, err)
	}
	status, err := job.Wait(ctx)
	if err == nil {
		err = status.Err()
	}
	if err != nil {
		tb.Fatalf("load %s: %v", table, err)
	}
}

// PutLocal writes the rows of accounts into the local warehouse dir, with
// warehouse.Stage and Commit: each run table's partitions of the accounts'
// run dates are replaced by their rows.
func PutLocal(tb testing.TB, dir string, accounts ...Account) {
	tb.Helper()
	const stage = "runstatustest"
	for _, a := range accounts {
		if err := errors.Join(
			warehouse.Stage(dir, stage, "runs", []schemas.Run{a.Run}),
			warehouse.Stage(dir, stage, "run_outcomes", a.Outcomes),
			warehouse.Stage(dir, stage, "run_partitions", a.Partitions),
		); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := warehouse.Commit(dir, stage, nil); err != nil {
		tb.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
