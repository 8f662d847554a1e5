package runscope

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(eventID)
	register.Function1x1(deadReason)
	register.Function1x1(count)
}

func TestMain(m *testing.M) { ptest.Main(m) }

func eventID(e schemas.Event) string         { return e.EventID }
func deadReason(d schemas.DeadLetter) string { return d.Reason }
func count(t schemas.Tally) int64            { return t.N }

var (
	nov1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	nov2 = nov1.AddDate(0, 0, 1)
)

func TestFilter(t *testing.T) {
	events := []schemas.Event{{EventID: "a", EventDate: nov1}, {EventID: "b", EventDate: nov2}, {EventID: "c", EventDate: nov1}}
	dead := []schemas.DeadLetter{{Reason: "on-nov2", DeadLetterDate: nov2}, {Reason: "on-nov1", DeadLetterDate: nov1}}
	tests := []struct {
		name       string
		dates      []time.Time
		wantEvents []any
		wantDead   []any
		wantOut    int64
	}{
		{"owns nov 1", []time.Time{nov1}, []any{"a", "c"}, []any{"on-nov1"}, 2},
		{"owns both", []time.Time{nov1, nov2}, []any{"a", "b", "c"}, []any{"on-nov1", "on-nov2"}, 0},
		{"no dates: owns everything", nil, []any{"a", "b", "c"}, []any{"on-nov1", "on-nov2"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := beam.NewPipelineWithRoot()
			keptEvents, outEvents := Filter(s, tt.dates, beam.CreateList(s, events))
			keptDead, outDead := Filter(s, tt.dates, beam.CreateList(s, dead))
			passert.Equals(s, beam.ParDo(s, eventID, keptEvents), tt.wantEvents...)
			passert.Equals(s, beam.ParDo(s, deadReason, keptDead), tt.wantDead...)
			out := stats.Sum(s, beam.ParDo(s, count, beam.Flatten(s, outEvents, outDead)))
			if tt.wantOut == 0 {
				passert.Empty(s, out)
			} else {
				passert.Equals(s, out, tt.wantOut)
			}
			ptest.RunAndValidate(t, p)
		})
	}
}
