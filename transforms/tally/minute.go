package tally

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn3x0[context.Context, beam.T, func(schemas.Tally)](&minuteFn{})
	register.DoFn2x0[schemas.Tally, func(schemas.Reconciliation)](&rowFn{})
	register.Emitter1[schemas.Reconciliation]()
}

// ByMinute is Count for a job that never ends: it counts the elements of col
// (rows of Pub/Sub messages, implementing schemas.Delivered) under name per
// publish minute of their message, so that every record and its outcomes
// fall into the same interval whenever they are decided. The Tally key is
// the minute in RFC 3339, followed by a space and the element's TallyKey
// when it implements Keyed (see SplitKey).
func ByMinute(s beam.Scope, name string, col beam.PCollection) beam.PCollection {
	s = s.Scope("tally.ByMinute")
	return beam.ParDo(s, &minuteFn{Name: name}, col)
}

type minuteFn struct {
	Name   string
	counts bundleCounts
}

func (fn *minuteFn) StartBundle(_ context.Context, _ func(schemas.Tally)) { fn.counts.reset() }

func (fn *minuteFn) ProcessElement(_ context.Context, elem beam.T, _ func(schemas.Tally)) {
	d, ok := elem.(schemas.Delivered)
	if !ok {
		panic(fmt.Sprintf("tally.ByMinute: %T is not schemas.Delivered", elem))
	}
	detail := ""
	if k, ok := elem.(Keyed); ok {
		detail = k.TallyKey()
	}
	fn.counts[MinuteKey(d.DeliveryOf().Published, detail)]++
}

// MinuteKey is the ByMinute key of a record published at published and
// counted under detail (empty for none), for tallies made by hand, such as
// a record moved from one outcome to another.
func MinuteKey(published time.Time, detail string) string {
	key := published.UTC().Truncate(time.Minute).Format(time.RFC3339)
	if detail != "" {
		key += " " + detail
	}
	return key
}

func (fn *minuteFn) FinishBundle(_ context.Context, emit func(schemas.Tally)) {
	fn.counts.emit(fn.Name, emit)
}

// SplitKey splits a ByMinute key into its minute and detail.
func SplitKey(key string) (minute time.Time, detail string, err error) {
	stamp, detail, _ := strings.Cut(key, " ")
	minute, err = time.Parse(time.RFC3339, stamp)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("tally: not a per-minute key: %q", key)
	}
	return minute, detail, nil
}

// Rows turns ByMinute tallies into rows of the reconciliation table.
func Rows(s beam.Scope, runID string, tallies beam.PCollection) beam.PCollection {
	s = s.Scope("tally.Rows")
	return beam.ParDo(s, &rowFn{RunID: runID}, tallies)
}

type rowFn struct {
	RunID string
}

func (fn *rowFn) ProcessElement(t schemas.Tally, emit func(schemas.Reconciliation)) {
	minute, detail, err := SplitKey(t.Key)
	if err != nil {
		panic(err) // only ByMinute tallies reach Rows: a wrong key is a bug in the graph
	}
	emit(schemas.Reconciliation{
		IntervalDate: schemas.DateOf(minute), IntervalStart: minute, RunID: fn.RunID,
		Outcome: t.Name, Detail: detail, Records: t.N, WrittenAt: time.Now().UTC(),
	})
}
