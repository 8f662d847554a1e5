package bydevice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
)

func init() {
	register.Function1x3(keyByDevice)
	register.DoFn8x1[context.Context, state.Provider, timers.Provider, string, schemas.Event,
		func(schemas.Event), func(schemas.Event), func(schemas.BotEvent), error](&streamFn{})
	register.Emitter3[beam.EventTime, string, schemas.Event]()
}

// DefaultDedupHorizon is how long, in event time after a device's newest
// event, Streaming remembers the device's event ids.
const DefaultDedupHorizon = 2 * time.Hour

// StreamingOptions configures Streaming.
type StreamingOptions struct {
	// DedupHorizon bounds the event ids a device's state holds (default
	// DefaultDedupHorizon): a copy arriving when its event is older than
	// the device's newest event by more than this is not recognized.
	DedupHorizon time.Duration
	// RateLimit and RateWindow are the bot filter's rate rule, applied on a
	// sliding window (botfilter.AddRecent).
	RateLimit  int
	RateWindow time.Duration
	// ExpireState drops a device's whole state once the watermark is
	// DedupHorizon past its newest event, with an event-time timer. Set it
	// on Dataflow, where devices come and go for months. Leave it off on
	// Prism: Prism mishandles bundles with timers in streaming (apache/beam
	// issue 35771; measured here: 17k messages took over 6 minutes with the
	// timer, 40 s without). Either way the ids of an active device are
	// pruned as its newest event moves on.
	ExpireState bool
}

// Streaming is the streaming execution of the per-device rules that come
// before sessionization. It takes PCollection<schemas.Event> (parsed,
// enriched, possibly marked by the bot filter's per-event rules) and returns
// the events that survive, timestamped with their EventTime (ready for
// session windows), the duplicates (schemas.Event) and the bot events
// (schemas.BotEvent).
//
// Per device it keeps state, not a batch of all events:
//   - the event ids seen, each until the device's newest event is
//     DedupHorizon ahead of it; the first copy to arrive survives (in batch,
//     the first received);
//   - the rate rule on a sliding window: once more than RateLimit events
//     fall within RateWindow, that event and the device's later events of
//     the same UTC day are bots. Events before the burst were already
//     written; the batch run for the date re-decides the whole device-day.
//
// State cost: about 100 bytes per event id held, so roughly events per
// second x DedupHorizon x 100 B in all (7k/s x 2 h is about 5 GB across
// Dataflow's workers); with ExpireState a device's state is dropped
// DedupHorizon after its last event, without it a quiet device keeps its
// last horizon of ids.
func Streaming(s beam.Scope, events beam.PCollection, o StreamingOptions) (kept, duplicates, bots beam.PCollection) {
	s = s.Scope("bydevice.Stream") // a stable step name: Dataflow updates a running job by it
	if o.DedupHorizon <= 0 {
		o.DedupHorizon = DefaultDedupHorizon
	}
	keyed := beam.ParDo(s, keyByDevice, events)
	outs := beam.ParDoN(s, &streamFn{
		DedupHorizon: o.DedupHorizon, RateLimit: o.RateLimit, RateWindow: o.RateWindow, ExpireState: o.ExpireState,
		Seen:   state.MakeMapState[string, int64]("seen"),
		Recent: state.MakeValueState[[]int64]("recent"),
		BotDay: state.MakeValueState[string]("bot_day"),
		Newest: state.MakeValueState[int64]("newest"),
		Expire: timers.InEventTime("expire"),
	}, keyed)
	return outs[0], outs[1], outs[2]
}

// keyByDevice keys an event by its device and timestamps it with its event
// time.
func keyByDevice(e schemas.Event) (beam.EventTime, string, schemas.Event) {
	return beam.EventTime(e.EventTime.UnixMilli()), e.DeviceID, e
}

type streamFn struct {
	DedupHorizon time.Duration
	RateLimit    int
	RateWindow   time.Duration
	ExpireState  bool

	// Seen maps the device's event ids to their event time (Unix ms).
	Seen state.Map[string, int64]
	// Recent are the event times (Unix ms) the rate rule looks at.
	Recent state.Value[[]int64]
	// BotDay is "<YYYY-MM-DD> <detail>" once the rate rule flagged a day.
	BotDay state.Value[string]
	// Newest is the newest event time seen (Unix ms).
	Newest state.Value[int64]
	// Expire fires at least DedupHorizon after the first event, to drop
	// old state.
	Expire timers.EventTime

	duplicates beam.Counter
	rateBots   beam.Counter
	expired    beam.Counter
}

func (fn *streamFn) Setup() {
	fn.duplicates = beam.NewCounter("bydevice", "stream_duplicates")
	fn.rateBots = beam.NewCounter("bydevice", "stream_rate_bots")
	fn.expired = beam.NewCounter("bydevice", "stream_ids_expired")
}

func (fn *streamFn) ProcessElement(ctx context.Context, sp state.Provider, tp timers.Provider, _ string, e schemas.Event,
	emit, emitDuplicate func(schemas.Event), emitBot func(schemas.BotEvent)) error {
	if _, seen, err := fn.Seen.Get(sp, e.EventID); err != nil {
		return fmt.Errorf("bydevice: read seen ids: %w", err)
	} else if seen {
		fn.duplicates.Inc(ctx, 1)
		emitDuplicate(e)
		return nil
	}
	ms := e.EventTime.UnixMilli()
	if err := fn.Seen.Put(sp, e.EventID, ms); err != nil {
		return fmt.Errorf("bydevice: write seen ids: %w", err)
	}
	newest, ok, err := fn.Newest.Read(sp)
	if err != nil {
		return fmt.Errorf("bydevice: read newest: %w", err)
	}
	if !ok && fn.ExpireState {
		// A device's first event (or the first after its state expired)
		// sets the timer; OnTimer moves it on while the device is active.
		fn.Expire.Set(tp, e.EventTime.Add(fn.DedupHorizon), timers.WithNoOutputTimestamp())
	}
	if !ok || ms > newest {
		if err := fn.Newest.Write(sp, ms); err != nil {
			return fmt.Errorf("bydevice: write newest: %w", err)
		}
		// Prune each time the newest event moves on by half the horizon.
		if ok && ms/fn.half() != newest/fn.half() {
			if err := fn.prune(ctx, sp, ms); err != nil {
				return err
			}
		}
	}
	if err := fn.applyRate(ctx, sp, &e); err != nil {
		return err
	}
	if e.BotRule != "" {
		emitBot(schemas.NewBotEvent(e))
		return nil
	}
	emit(e)
	return nil
}

// applyRate marks e as a rate bot when its UTC day is, or now becomes, a
// bot day of the device.
func (fn *streamFn) applyRate(ctx context.Context, sp state.Provider, e *schemas.Event) error {
	day := e.EventDate.Format(time.DateOnly)
	botDay, _, err := fn.BotDay.Read(sp)
	if err != nil {
		return fmt.Errorf("bydevice: read bot day: %w", err)
	}
	detail, flagged := strings.CutPrefix(botDay, day+" ")
	if !flagged {
		recent, _, err := fn.Recent.Read(sp)
		if err != nil {
			return fmt.Errorf("bydevice: read recent: %w", err)
		}
		if len(recent) > 0 && time.UnixMilli(recent[len(recent)-1]).UTC().Format(time.DateOnly) != day {
			recent = nil // a new day starts the count again
		}
		recent, detail = botfilter.AddRecent(recent, e.EventTime, fn.RateLimit, fn.RateWindow)
		if detail != "" {
			flagged, recent = true, nil
			if err := fn.BotDay.Write(sp, day+" "+detail); err != nil {
				return fmt.Errorf("bydevice: write bot day: %w", err)
			}
		}
		if err := fn.Recent.Write(sp, recent); err != nil {
			return fmt.Errorf("bydevice: write recent: %w", err)
		}
	}
	if flagged && e.BotRule == "" {
		e.BotRule, e.BotDetail = schemas.BotRuleRate, detail
		fn.rateBots.Inc(ctx, 1)
	}
	return nil
}

// OnTimer (which must declare ProcessElement's emitters) drops all of the device's state once the watermark is the horizon
// past its newest event; while the device is active it drops the ids more
// than the horizon older than the newest event and fires again later.
func (fn *streamFn) OnTimer(ctx context.Context, fired beam.EventTime, sp state.Provider, tp timers.Provider, _ string, _ timers.Context,
	_, _ func(schemas.Event), _ func(schemas.BotEvent)) error {
	now := fired.ToTime()
	newest, _, err := fn.Newest.Read(sp)
	if err != nil {
		return fmt.Errorf("bydevice: read newest: %w", err)
	}
	if !time.UnixMilli(newest).Add(fn.DedupHorizon).After(now) {
		for _, clear := range []func(state.Provider) error{fn.Seen.Clear, fn.Recent.Clear, fn.BotDay.Clear, fn.Newest.Clear} {
			if err := clear(sp); err != nil {
				return fmt.Errorf("bydevice: clear state: %w", err)
			}
		}
		return nil
	}
	if err := fn.prune(ctx, sp, newest); err != nil {
		return err
	}
	fn.Expire.Set(tp, time.UnixMilli(newest).Add(fn.DedupHorizon), timers.WithNoOutputTimestamp())
	return nil
}

// half is half the horizon in milliseconds.
func (fn *streamFn) half() int64 { return max(fn.DedupHorizon.Milliseconds()/2, 1) }

// prune drops the ids more than the horizon older than newest (Unix ms).
func (fn *streamFn) prune(ctx context.Context, sp state.Provider, newest int64) error {
	ids, _, err := fn.Seen.Keys(sp)
	if err != nil {
		return fmt.Errorf("bydevice: list seen ids: %w", err)
	}
	cutoff := newest - fn.DedupHorizon.Milliseconds()
	for _, id := range ids {
		at, _, err := fn.Seen.Get(sp, id)
		if err != nil {
			return fmt.Errorf("bydevice: read seen id: %w", err)
		}
		if at < cutoff {
			if err := fn.Seen.Remove(sp, id); err != nil {
				return fmt.Errorf("bydevice: drop seen id: %w", err)
			}
			fn.expired.Inc(ctx, 1)
		}
	}
	return nil
}
