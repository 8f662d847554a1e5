package erased

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn5x0[context.Context, schemas.Event, func(string) func(*bool) bool, func(schemas.Event), func(schemas.Event)](&filterFn{})
	register.Function1x2(keyed)
	register.Emitter1[schemas.Event]()
	register.Iter1[bool]()
}

// Filter splits events (PCollection<schemas.Event>) by keys
// (PCollection<string>, the erased user_key values and device ids, looked
// up as a multimap side input): kept are the events that carry none of
// them, erased those whose user_key or device_id is one.
func Filter(s beam.Scope, events, keys beam.PCollection) (kept, erased beam.PCollection) {
	s = s.Scope("erased.Filter")
	lookup := beam.ParDo(s, keyed, keys)
	return beam.ParDo2(s, &filterFn{}, events, beam.SideInput{Input: lookup})
}

// NewCounter is the counter of erased events, for a DoFn that splits events
// by Matches in another way than Filter.
func NewCounter() beam.Counter { return beam.NewCounter("erased", "erased") }

// Matches reports whether e carries an erased key: its user_key or its
// device_id is one that has reports.
func Matches(e schemas.Event, has func(string) bool) bool {
	return (e.UserKey != "" && has(e.UserKey)) || has(e.DeviceID)
}

// keyed makes an erased key a multimap side input's key.
func keyed(k string) (string, bool) { return k, true }

// filterFn splits events by the erased keys.
type filterFn struct {
	counter beam.Counter
}

func (fn *filterFn) Setup() {
	fn.counter = NewCounter()
}

func (fn *filterFn) ProcessElement(ctx context.Context, e schemas.Event, lookup func(string) func(*bool) bool, kept, erased func(schemas.Event)) {
	if Matches(e, func(key string) bool {
		var v bool
		return lookup(key)(&v)
	}) {
		fn.counter.Inc(ctx, 1)
		erased(e)
		return
	}
	kept(e)
}
