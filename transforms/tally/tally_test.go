package tally

import (
	"context"
	"reflect"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
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
	input := beam.CreateList(s, []Tally{{Name: InputRecords, N: 7}})
	Write(s, dir, input, Count(s, DeadLetter, reasons), Count(s, Events, plain))
	ptest.RunAndValidate(t, p)

	totals, err := Read(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := totals.Sum(InputRecords); got != 7 {
		t.Errorf("input_records = %d, want 7", got)
	}
	if got := totals.Sum(Events); got != 4 {
		t.Errorf("events = %d, want 4", got)
	}
	byReason := totals.ByKey(DeadLetter)
	if byReason["bad_json"] != 2 || byReason["too_large"] != 1 || len(byReason) != 2 {
		t.Errorf("dead_letter by reason = %v, want bad_json 2, too_large 1", byReason)
	}
}

func TestReadEmptyDir(t *testing.T) {
	totals, err := Read(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if totals.Sum(InputRecords) != 0 {
		t.Errorf("empty dir gave %v", totals)
	}
}
