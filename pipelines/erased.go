package pipelines

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/erased"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func(string), error](&erasedKeysFn{})
	register.DoFn4x1[context.Context, schemas.Event, func(schemas.Event), func(schemas.Event), error](&refreshedErasedFn{})
	register.Emitter1[string]()
}

// erasedKeys reads the run's erasure requests once, when the job starts,
// and returns their erased keys (PCollection<string>): erased.Filter's side
// input in batch.
func erasedKeys(s beam.Scope, lookup erasure.Lookup) beam.PCollection {
	s = s.Scope("erased_keys")
	return beam.ParDo(s, &erasedKeysFn{Lookup: lookup}, beam.Impulse(s))
}

// filterErasedRefreshed splits events like erased.Filter, by the keys of
// lookup read again whenever those in hand are every old (streaming): a
// request takes effect on the events processed at most every after it is
// filed. Each DoFn instance reads the requests itself rather than through
// a periodically refreshed side input, so that a local streaming run on
// Prism still ends when its reader stops (see transforms/erased).
func filterErasedRefreshed(s beam.Scope, events beam.PCollection, lookup erasure.Lookup, every time.Duration) (kept, erasedEvents beam.PCollection) {
	return beam.ParDo2(s, &refreshedErasedFn{Lookup: lookup, Every: every}, events)
}

// erasedKeysFn emits the erased keys of Lookup.
type erasedKeysFn struct {
	Lookup erasure.Lookup
}

func (fn *erasedKeysFn) ProcessElement(ctx context.Context, _ []byte, emit func(string)) error {
	keys, err := fn.Lookup.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		emit(k)
	}
	return nil
}

// refreshedErasedFn splits events by the erased keys of Lookup, read again
// before the first event after they are Every old.
type refreshedErasedFn struct {
	Lookup erasure.Lookup
	Every  time.Duration

	// now is the clock (time.Now; tests set another).
	now     func() time.Time
	keys    map[string]bool
	loaded  time.Time
	counter beam.Counter
}

func (fn *refreshedErasedFn) Setup() {
	fn.counter = erased.NewCounter()
	if fn.now == nil {
		fn.now = time.Now
	}
}

func (fn *refreshedErasedFn) ProcessElement(ctx context.Context, e schemas.Event, kept, erasedEvents func(schemas.Event)) error {
	if now := fn.now(); fn.keys == nil || now.Sub(fn.loaded) >= fn.Every {
		keys, err := fn.Lookup.Keys(ctx)
		if err != nil {
			// The bundle fails and is retried: no event of an erased
			// person gets through on stale keys.
			return fmt.Errorf("erased: refresh: %w", err)
		}
		fn.keys = make(map[string]bool, len(keys))
		for _, k := range keys {
			fn.keys[k] = true
		}
		fn.loaded = now
	}
	if erased.Matches(e, func(key string) bool { return fn.keys[key] }) {
		fn.counter.Inc(ctx, 1)
		erasedEvents(e)
		return nil
	}
	kept(e)
	return nil
}
