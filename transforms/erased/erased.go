package erased

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn5x0[context.Context, schemas.Event, func(string) func(*bool) bool, func(schemas.Event), func(schemas.Event)](&filterFn{})
	register.DoFn4x1[context.Context, schemas.Event, func(schemas.Event), func(schemas.Event), error](&refreshFn{})
	register.DoFn3x1[context.Context, []byte, func(string), error](&loadFn{})
	register.Function1x2(keyed)
	register.Emitter1[schemas.Event]()
	register.Emitter1[string]()
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

// Keys reads src once, when the job runs, and returns its erased keys
// (PCollection<string>): Filter's keys in batch.
func Keys(s beam.Scope, src Source) beam.PCollection {
	s = s.Scope("erased.Keys")
	return beam.ParDo(s, &loadFn{Source: src}, beam.Impulse(s))
}

// FilterRefreshed splits events like Filter, by the keys of src read again
// whenever the keys in hand are every old (streaming): a request takes
// effect on the events processed at most every after it is filed. It reads
// src in the DoFn rather than as a periodically refreshed side input so
// that a local streaming run on Prism still ends when its reader stops
// (see the package doc).
func FilterRefreshed(s beam.Scope, events beam.PCollection, src Source, every time.Duration) (kept, erased beam.PCollection) {
	s = s.Scope("erased.FilterRefreshed")
	return beam.ParDo2(s, &refreshFn{Source: src, Every: every}, events)
}

// keyed makes an erased key a multimap side input's key.
func keyed(k string) (string, bool) { return k, true }

// isErased reports whether e carries an erased key.
func isErased(e schemas.Event, has func(string) bool) bool {
	return (e.UserKey != "" && has(e.UserKey)) || has(e.DeviceID)
}

// filterFn splits events by the erased keys of a side input.
type filterFn struct {
	counter beam.Counter
}

func (fn *filterFn) Setup() {
	fn.counter = beam.NewCounter("erased", "erased")
}

func (fn *filterFn) ProcessElement(ctx context.Context, e schemas.Event, lookup func(string) func(*bool) bool, kept, erased func(schemas.Event)) {
	has := func(key string) bool {
		var v bool
		return lookup(key)(&v)
	}
	if isErased(e, has) {
		fn.counter.Inc(ctx, 1)
		erased(e)
		return
	}
	kept(e)
}

// loadFn emits the erased keys of Source.
type loadFn struct {
	Source Source
}

func (fn *loadFn) ProcessElement(ctx context.Context, _ []byte, emit func(string)) error {
	keys, err := fn.Source.Load(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		emit(k)
	}
	return nil
}

// refreshFn splits events by the erased keys of Source, read again when
// those in hand are Every old.
type refreshFn struct {
	Source Source
	Every  time.Duration

	// now is the clock (time.Now; tests set another).
	now     func() time.Time
	keys    map[string]bool
	loaded  time.Time
	counter beam.Counter
}

func (fn *refreshFn) Setup() {
	fn.counter = beam.NewCounter("erased", "erased")
	if fn.now == nil {
		fn.now = time.Now
	}
}

func (fn *refreshFn) ProcessElement(ctx context.Context, e schemas.Event, kept, erased func(schemas.Event)) error {
	if now := fn.now(); fn.keys == nil || now.Sub(fn.loaded) >= fn.Every {
		keys, err := fn.Source.Load(ctx)
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
	if isErased(e, func(key string) bool { return fn.keys[key] }) {
		fn.counter.Inc(ctx, 1)
		erased(e)
		return nil
	}
	kept(e)
	return nil
}
