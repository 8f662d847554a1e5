// Package bydevice applies the per-device rules: deduplication, the bot
// filter's rate rule and sessionization, which all look at all the events of
// one device.
//
// They share one grouping per device on purpose: the pipeline shuffles its
// events by device once, and each rule runs on that device's events in turn,
// instead of one shuffle per rule. Batch groups in the global window and
// applies, to each device's events in memory, dedup.Earliest
// (internal/dedup), then botfilter.MarkRate, then sessionize.Batch on what is
// left. Streaming keys events by device once and keeps per-device state for
// dedup and the rate rule; its survivors go to sessionize.Streaming, whose
// session windows need their own grouping.
//
// In Batch, devices are hashed into Shards groups, and events cross the
// shuffle in batches (schemas.EventBatch, as schemas.EncodeBatch's bytes):
// the local runner pays a fixed cost per shuffled element, so a million
// single events would cost far more than a few thousand batches. A group
// holds about 1/Shards of a run's events; with the default 512 shards a
// 600-million-event day is ~1.2 million events (~600 MB) per group, so
// raise --shards for bigger runs.
//
// Locally, Batch can split the per-device step into rounds
// (BatchOptions.Rounds), each a stage of its own that groups a share of
// the shards, so that the runner holds one round's share of the shuffle
// at a time instead of all of it (see Round).
package bydevice

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/internal/dedup"
	"github.com/example/clickstream/internal/inorder"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/sessionize"
)

func init() {
	register.DoFn2x1[schemas.Event, func(int, []byte), error](&batchFn{})
	register.DoFn7x1[context.Context, int, func(*[]byte) bool, func(schemas.Event), func(schemas.Event), func(schemas.BotEvent), func(schemas.Session), error](&applyFn{})
	register.Emitter2[int, []byte]()
	register.Emitter1[schemas.BotEvent]()
	register.Emitter1[schemas.Session]()
	register.Iter1[[]byte]()
	register.DoFn3x0[int, []byte, func(int, []byte)](&roundFn{})
	register.Function2x0(ended)
}

// BatchOptions configures Batch.
type BatchOptions struct {
	// Shards is the number of device groups (default 512).
	Shards int
	// RateLimit and RateWindow are the bot filter's rate rule: more than
	// RateLimit events in RateWindow make a device-day a bot.
	RateLimit  int
	RateWindow time.Duration
	// Sessions configures sessionize.Batch.
	Sessions sessionize.Options
	// Workers encodes a bundle's batches on this many goroutines
	// (internal/inorder), emitting each when it is done; 0 or 1 encodes
	// them on the bundle's own. Only for events that share one window and
	// timestamp, as a batch read's do (see prepare.Options.Workers). It is
	// also how many rounds run at once.
	Workers int
	// Rounds splits the per-device step into this many stages (see Round),
	// at most one per shard; 0 or 1: one stage, as on Dataflow, where the
	// shuffle is not held in a worker's memory and rounds would only wait
	// on each other.
	Rounds int
}

// Round is what one round of the per-device step returns, as
// PCollections: the events that survive (deduplicated, not bots, with their
// session_id), the duplicates removed (schemas.Event), the bot events
// (schemas.BotEvent) and the sessions (schemas.Session).
//
// Round r groups the shards whose number is r modulo BatchOptions.Rounds,
// and starts only once round r-Workers has ended (Workers at least 1): its
// grouping also takes an output of that round which is always empty, and a
// grouping in the global window fires once all of its inputs have ended.
// Prism hands a stage its whole input as one block, which it joins, encodes
// and sends while the SDK receives and decodes it, so the block is live
// several times over at the stage's start; with rounds only a round's share
// is. A round's outputs feed its own sinks: flattened, they would cross
// the runner once more.
type Round struct {
	Kept, Duplicates, Bots, Sessions beam.PCollection
}

// Batch takes PCollection<schemas.Event> (parsed, enriched, possibly marked
// by the bot filter's per-event rules) and returns the outputs of each
// round of the per-device rules (one Round unless o.Rounds is above 1).
func Batch(s beam.Scope, events beam.PCollection, o BatchOptions) []Round {
	s = s.Scope("bydevice.Batch")
	if o.Shards <= 0 {
		o.Shards = 512
	}
	if err := o.Sessions.Validate(); err != nil {
		panic(fmt.Sprintf("bydevice: %v", err))
	}
	rounds := min(max(o.Rounds, 1), o.Shards)
	atOnce := max(o.Workers, 1)
	batches := beam.ParDo(s, &batchFn{Shards: o.Shards, Workers: o.Workers}, events)
	var out []Round
	var ends []beam.PCollection
	for r := range rounds {
		rs := s
		part := batches
		if rounds > 1 {
			rs = s.Scope(fmt.Sprintf("round%d", r))
			part = beam.ParDo(rs, &roundFn{Round: r, Rounds: rounds}, batches)
		}
		if r >= atOnce {
			part = beam.Flatten(rs, part, ends[r-atOnce])
		}
		outs := beam.ParDoN(rs, &applyFn{RateLimit: o.RateLimit, RateWindow: o.RateWindow, Sessions: o.Sessions},
			beam.GroupByKey(rs, part))
		out = append(out, Round{Kept: outs[0], Duplicates: outs[1], Bots: outs[2], Sessions: outs[3]})
		if rounds > 1 {
			ends = append(ends, beam.ParDo(rs, ended, outs[3]))
		}
	}
	return out
}

// roundFn keeps the batches of the shards of one round.
type roundFn struct{ Round, Rounds int }

func (fn *roundFn) ProcessElement(shard int, data []byte, emit func(int, []byte)) {
	if shard%fn.Rounds == fn.Round {
		emit(shard, data)
	}
}

// ended emits nothing: its output, of the type of a round's grouping,
// ends when the round that feeds it has ended, which a later round's
// grouping waits for.
func ended(schemas.Session, func(int, []byte)) {}

// maxBatch bounds a batch. A shard's events wait in memory until their
// batch is full, and the garbage collector scans every waiting event, so
// small batches are cheaper to hold; but each batch is compressed alone, and
// the local runner keeps every shuffled byte several times, so tiny ones
// cost memory. On the 1M-record bench data (Prism, 2 cores), single runs
// with parquet-go's default buffers: 512 events per batch 29.6 s, 2.3 GB
// peak; 128: 27.4 s, 2.0 GB; 64: 26.4-26.7 s, 1.6 GB; 32: 26.7 s, 2.2 GB.
// With the sink's smaller buffers (parquetrows), on a slower machine, four
// runs each: 64: 48-53 s, 1.8-2.3 GB; 256: 51-64 s, 1.4-2.0 GB; 512:
// 52-61 s, 1.6-1.7 GB. Peak memory swings by a few hundred MB between
// identical runs (it depends on when the collector runs relative to the
// runner's bundle buffers), so 64 stays, for wall time.
const maxBatch = 64

// batchFn collects each shard's events into batches of maxBatch and emits
// them encoded (schemas.EncodeBatch), keyed by shard.
type batchFn struct {
	Shards  int
	Workers int

	pending map[int][]schemas.Event
	// encoder encodes a bundle's batches when Workers > 1.
	encoder *inorder.Pool[shardBatch, encodedBatch]
	// err is the first encoding error of the bundle.
	err error
}

type shardBatch struct {
	shard  int
	events []schemas.Event
}

type encodedBatch struct {
	shard int
	data  []byte
	err   error
}

func encode(b shardBatch) encodedBatch {
	data, err := schemas.EncodeBatch(schemas.EventBatch{Events: b.events})
	return encodedBatch{shard: b.shard, data: data, err: err}
}

func (fn *batchFn) StartBundle(_ func(int, []byte)) {
	fn.pending = map[int][]schemas.Event{}
	if fn.Workers > 1 {
		fn.encoder = inorder.New(fn.Workers, 1, encode)
	}
	fn.err = nil
}

func (fn *batchFn) ProcessElement(e schemas.Event, emit func(int, []byte)) error {
	shard := Shard(e.DeviceID, fn.Shards)
	b := fn.pending[shard]
	if b == nil {
		// Grown by append, a batch of large events (1 KB each) would be
		// copied six times on its way to maxBatch: 0.9 of the 1.9 GB this
		// function allocated on the 1M-record bench data.
		b = make([]schemas.Event, 0, maxBatch)
	}
	b = append(b, e)
	if len(b) >= maxBatch {
		fn.send(shardBatch{shard, b}, emit)
		b = nil
	}
	fn.pending[shard] = b
	return fn.err
}

func (fn *batchFn) FinishBundle(emit func(int, []byte)) error {
	for shard, b := range fn.pending {
		if len(b) > 0 {
			fn.send(shardBatch{shard, b}, emit)
		}
	}
	if fn.encoder != nil {
		fn.encoder.Flush(fn.emitter(emit))
		fn.encoder.Close()
	}
	fn.pending, fn.encoder = nil, nil
	return fn.err
}

// send encodes b, on the pool when there is one, and emits it.
func (fn *batchFn) send(b shardBatch, emit func(int, []byte)) {
	if fn.encoder != nil {
		fn.encoder.Add(b, fn.emitter(emit))
		return
	}
	fn.emitter(emit)(encode(b))
}

// emitter emits encoded batches and keeps the first error.
func (fn *batchFn) emitter(emit func(int, []byte)) func(encodedBatch) {
	return func(b encodedBatch) {
		if b.err != nil {
			fn.err = cmp.Or(fn.err, b.err)
			return
		}
		emit(b.shard, b.data)
	}
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
	Sessions   sessionize.Options

	devices beam.Counter
}

func (fn *applyFn) Setup() { fn.devices = beam.NewCounter("bydevice", "devices") }

func (fn *applyFn) ProcessElement(ctx context.Context, _ int, batches func(*[]byte) bool,
	emit, emitDuplicate func(schemas.Event), emitBot func(schemas.BotEvent), emitSession func(schemas.Session)) error {
	// Events are large: sort pointers to them, then copy each once.
	var sorted []*schemas.Event
	var data []byte
	for batches(&data) {
		b, err := schemas.DecodeBatch(data)
		if err != nil {
			return err
		}
		for i := range b.Events {
			sorted = append(sorted, &b.Events[i])
		}
	}
	// Each device's events in dedup.Earliest's order, so that its sort
	// finds them sorted and moves no event.
	slices.SortFunc(sorted, func(a, b *schemas.Event) int {
		if c := cmp.Compare(a.DeviceID, b.DeviceID); c != 0 {
			return c
		}
		return dedup.Compare(a, b)
	})
	events := make([]schemas.Event, len(sorted))
	for i, e := range sorted {
		events[i] = *e
	}

	for start := 0; start < len(events); {
		end := start + 1
		for end < len(events) && events[end].DeviceID == events[start].DeviceID {
			end++
		}
		fn.device(events[start:end], emit, emitDuplicate, emitBot, emitSession)
		fn.devices.Inc(ctx, 1)
		start = end
	}
	return nil
}

// device applies the rules to the events of one device.
func (fn *applyFn) device(events []schemas.Event,
	emit, emitDuplicate func(schemas.Event), emitBot func(schemas.BotEvent), emitSession func(schemas.Session)) {
	kept, duplicates := dedup.Earliest(events)
	for _, d := range duplicates {
		emitDuplicate(d)
	}
	botfilter.MarkRate(kept, fn.RateLimit, fn.RateWindow)
	humans := kept[:0]
	for _, e := range kept {
		if e.BotRule != "" {
			emitBot(schemas.NewBotEvent(e))
			continue
		}
		humans = append(humans, e)
	}
	for _, row := range sessionize.Batch(humans, fn.Sessions) {
		emitSession(row)
	}
	for _, e := range humans {
		emit(e)
	}
}
