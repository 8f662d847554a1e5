package tally

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
)

func TestMain(m *testing.M) { ptest.Main(m) }

// reason is an element counted under a key.
type reason string

func (r reason) TallyKey() string { return string(r) }

func init() { beam.RegisterType(reflect.TypeFor[reason]()) }

// TestCountWriteRead counts keyed and plain elements on the local runner,
// writes the tallies and reads them back summed.
func TestCountWriteRead(t *testing.T) {
	dir := t.TempDir()
	p, s := beam.NewPipelineWithRoot()
	reasons := beam.CreateList(s, []reason{"bad_json", "bad_json", "too_large"})
	plain := beam.CreateList(s, []string{"a", "b", "c", "d"})
	input := beam.CreateList(s, []schemas.Tally{{Name: schemas.TallyInputRecords, N: 7}})
	Write(s, dir, input, Count(s, schemas.TallyDeadLetter, reasons), Count(s, schemas.TallyEvents, plain))
	ptest.RunAndValidate(t, p)

	totals, err := Read(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := totals.Sum(schemas.TallyInputRecords); got != 7 {
		t.Errorf("input_records = %d, want 7", got)
	}
	if got := totals.Sum(schemas.TallyEvents); got != 4 {
		t.Errorf("events = %d, want 4", got)
	}
	byReason := totals.ByKey(schemas.TallyDeadLetter)
	if byReason["bad_json"] != 2 || byReason["too_large"] != 1 || len(byReason) != 2 {
		t.Errorf("dead_letter by reason = %v, want bad_json 2, too_large 1", byReason)
	}
}

// dated is a row of a date-partitioned table that is also counted under a
// key, as a bot event is.
type dated struct {
	Date time.Time
	Rule string
}

func (d dated) PartitionDate() time.Time { return d.Date }
func (d dated) TallyKey() string         { return d.Rule }

func init() { beam.RegisterType(reflect.TypeFor[dated]()) }

// TestCountByDate counts the same rows by partition date and by key.
func TestCountByDate(t *testing.T) {
	dir := t.TempDir()
	day := time.Date(2026, 11, 1, 23, 0, 0, 0, time.UTC)
	p, s := beam.NewPipelineWithRoot()
	rows := beam.CreateList(s, []dated{{day, "ip"}, {day, "rate"}, {day.Add(2 * time.Hour), "ip"}})
	Write(s, dir, CountByDate(s, "rows_bots", rows), Count(s, schemas.TallyBots, rows))
	ptest.RunAndValidate(t, p)

	totals, err := Read(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := totals.ByKey("rows_bots"); !reflect.DeepEqual(got, map[string]int64{"2026-11-01": 2, "2026-11-02": 1}) {
		t.Errorf("rows by date = %v, want 2026-11-01: 2, 2026-11-02: 1", got)
	}
	if got := totals.ByKey(schemas.TallyBots); !reflect.DeepEqual(got, map[string]int64{"ip": 2, "rate": 1}) {
		t.Errorf("bots by rule = %v, want ip 2, rate 1", got)
	}
}

func TestReadEmptyDir(t *testing.T) {
	totals, err := Read(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if totals.Sum(schemas.TallyInputRecords) != 0 {
		t.Errorf("empty dir gave %v", totals)
	}
}
