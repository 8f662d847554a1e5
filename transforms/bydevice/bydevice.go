// Package bydevice is the batch execution of the per-device rules.
//
// Deduplication and the bot filter's rate rule look at all the events of one
// device (and sessionization at all of one device's events in time order).
// In batch the pipeline groups events by device once and applies these rules
// to each device's events in memory, instead of a shuffle per rule.
//
// Devices are hashed into Shards groups, and events cross the shuffle in
// batches (schemas.EventBatch): the local runner pays a fixed cost per
// shuffled element, so a million single events would cost far more than a
// few thousand batches. A group holds about 1/Shards of a run's events; with
// the default 512 shards a 600-million-event day is ~1.2 million events
// (~600 MB) per group, so raise --shards for bigger runs.
package bydevice

import (
	"cmp"
	"context"
	"hash/fnv"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/dedup"
	"github.com/example/clickstream/transforms/tally"
)

func init() {
	register.DoFn2x0[schemas.Event, func(int, schemas.EventBatch)](&batchFn{})
	register.DoFn6x0[context.Context, int, func(*schemas.EventBatch) bool, func(schemas.Event), func(schemas.BotEvent), func(tally.Tally)](&applyFn{})
	register.Emitter2[int, schemas.EventBatch]()
	register.Emitter1[schemas.BotEvent]()
	register.Iter1[schemas.EventBatch]()
}

// Options configures Apply.
type Options struct {
	// Shards is the number of device groups (default 512).
	Shards int
	// RateLimit and RateWindow are the bot filter's rate rule: more than
	// RateLimit events in RateWindow make a device-day a bot.
	RateLimit  int
	RateWindow time.Duration
}

// Apply takes PCollection<schemas.Event> (parsed, enriched, possibly marked
// by the bot filter's per-event rules) and returns the events that survive
// (deduplicated, not bots) as PCollection<schemas.Event>, the bot events as
// PCollection<schemas.BotEvent>, and PCollection<tally.Tally> counting
// events, duplicates and bots.
func Apply(s beam.Scope, events beam.PCollection, o Options) (kept, bots, tallies beam.PCollection) {
	s = s.Scope("bydevice.Apply")
	if o.Shards <= 0 {
		o.Shards = 512
	}
	batches := beam.ParDo(s, &batchFn{Shards: o.Shards}, events)
	groups := beam.GroupByKey(s, batches)
	return beam.ParDo3(s, &applyFn{RateLimit: o.RateLimit, RateWindow: o.RateWindow}, groups)
}

// maxBatch bounds a batch so a bundle's buffer stays small.
const maxBatch = 512

type batchFn struct {
	Shards int

	pending map[int][]schemas.Event
}

func (fn *batchFn) StartBundle(_ func(int, schemas.EventBatch)) {
	fn.pending = map[int][]schemas.Event{}
}

func (fn *batchFn) ProcessElement(e schemas.Event, emit func(int, schemas.EventBatch)) {
	shard := Shard(e.DeviceID, fn.Shards)
	b := append(fn.pending[shard], e)
	if len(b) >= maxBatch {
		emit(shard, schemas.EventBatch{Events: b})
		b = nil
	}
	fn.pending[shard] = b
}

func (fn *batchFn) FinishBundle(emit func(int, schemas.EventBatch)) {
	for shard, b := range fn.pending {
		if len(b) > 0 {
			emit(shard, schemas.EventBatch{Events: b})
		}
	}
	fn.pending = nil
}

// Shard is the device group of a device id.
func Shard(deviceID string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(deviceID))
	return int(h.Sum32() % uint32(shards))
}

type applyFn struct {
	RateLimit  int
	RateWindow time.Duration

	devices beam.Counter
}

func (fn *applyFn) Setup() { fn.devices = beam.NewCounter("bydevice", "devices") }

func (fn *applyFn) ProcessElement(ctx context.Context, _ int, batches func(*schemas.EventBatch) bool,
	emit func(schemas.Event), emitBot func(schemas.BotEvent), count func(tally.Tally)) {
	var events []schemas.Event
	for {
		var b schemas.EventBatch
		if !batches(&b) {
			break
		}
		events = append(events, b.Events...)
	}
	slices.SortFunc(events, func(a, b schemas.Event) int { return cmp.Compare(a.DeviceID, b.DeviceID) })

	var kept, duplicates, bots int64
	botRules := map[string]int64{}
	for start := 0; start < len(events); {
		end := start + 1
		for end < len(events) && events[end].DeviceID == events[start].DeviceID {
			end++
		}
		device, dups := dedup.Earliest(events[start:end])
		duplicates += int64(dups)
		botfilter.MarkRate(device, fn.RateLimit, fn.RateWindow)
		for _, e := range device {
			if e.BotRule != "" {
				bots++
				botRules[e.BotRule]++
				emitBot(schemas.NewBotEvent(e))
				continue
			}
			kept++
			emit(e)
		}
		fn.devices.Inc(ctx, 1)
		start = end
	}
	count(tally.Tally{Name: tally.Events, N: kept})
	count(tally.Tally{Name: tally.Duplicates, N: duplicates})
	for rule, n := range botRules {
		count(tally.Tally{Name: tally.Bots, Key: rule, N: n})
	}
}
