package pipelines

import (
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/io/bigquery/storagewrite"
	"github.com/example/clickstream/io/files"
	"github.com/example/clickstream/io/pubsub"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/bydevice"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/parse"
	"github.com/example/clickstream/transforms/sessionize"
	"github.com/example/clickstream/transforms/tally"
)

func init() {
	register.Function2x0(recordsIn)
	register.Function1x1(deliveryOf)
	register.Function1x1(ackedTally)
	register.Function1x1(refusedTally)
	register.Function1x1(refusedFallbackTally)
	register.Function1x1(refusedSessionTally)
	register.DoFn2x0[storagewrite.Rejected, func(tally.Tally)](&movedFn{})
	register.Emitter1[schemas.Delivery]()
}

// BuildStreaming adds the streaming pipeline to s: Pub/Sub messages through
// the same parse, bot filter and enrichment as batch; the per-device rules in
// per-device state (bydevice.Stream); sessions in session windows with
// allowed lateness (sessionize.Windowed). Every row is appended as soon as
// its bundle is done, and a message is acknowledged once all of its rows are
// written. Records and outcomes are counted per publish minute into the
// reconciliation table.
func BuildStreaming(s beam.Scope, c Config) {
	records := pubsub.Read(s, c.PubSub)
	events, dead := parse.Parse(s, records, parse.Options{HashKeyRef: c.HashKeyRef, IPMode: c.IPMode})
	events = botfilter.Mark(s, events, botfilter.Options{UserAgentFile: c.BotUserAgentFile, IPFile: c.BotIPFile})
	events = enrich.Enrich(s, events, enrich.Options{InternalDomains: c.InternalDomains, IPMode: c.IPMode, HashKeyRef: c.HashKeyRef, GeoDB: c.GeoDB})

	kept, duplicates, bots := bydevice.Stream(s, events, bydevice.StreamOptions{
		DedupHorizon: c.DedupHorizon, RateLimit: c.BotRateLimit, RateWindow: c.BotRateWindow,
		ExpireState: c.Remote, // timers only on Dataflow: see bydevice.StreamOptions
	})
	sessions := sessionize.Windowed(s, kept, c.Sessions)
	if c.BeforeSinks != nil {
		kept = c.BeforeSinks(s, kept)
	}

	writtenEvents, refusedEvents := c.appendStream(s, "fact_events", kept)
	writtenBots, refusedBots := c.appendStream(s, "bot_events", bots)
	writtenDead, refusedDead := c.appendStream(s, "dead_letter", dead)
	// A record whose row BigQuery refuses ends in dead_letter as a fallback
	// row (reason bigquery_rejected), its message acknowledged once that row
	// is written; if the fallback is refused too, it ends unwritable, its
	// message acknowledged all the same. Either way its record moves out of
	// the outcome it was first counted under.
	refused := beam.Flatten(s, refusedEvents, refusedBots, refusedDead)
	writtenFallbacks, unwritable := c.appendStream(s, "dead_letter", storagewrite.Fallbacks(s, refused))

	tallies := beam.Flatten(s,
		tally.ByMinute(s, tally.InputRecords, beam.ParDo(s, recordsIn, records)),
		tally.ByMinute(s, tally.Events, kept),
		tally.ByMinute(s, tally.Duplicates, duplicates),
		tally.ByMinute(s, tally.Bots, bots),
		tally.ByMinute(s, tally.DeadLetter, dead),
		tally.ByMinute(s, tally.LateForSessions, sessionize.Late(s, kept, c.Sessions)),
		beam.ParDo(s, &movedFn{To: tally.DeadLetter, ToKey: storagewrite.Reason}, refused),
		beam.ParDo(s, &movedFn{To: tally.Unwritable}, unwritable))

	// Session and reconciliation rows stand for no record and no message:
	// their fallbacks are written apart, outside the records' accounting
	// (and the reconciliation's, which they would otherwise feed back into).
	_, refusedSessions := c.appendStream(s, "fact_sessions", sessions)
	_, refusedTallies := c.appendStream(s, "reconciliation", tally.Rows(s, c.RunID, tallies))
	refusedSessions = beam.WindowInto(s, window.NewGlobalWindows(), refusedSessions)
	derived := beam.Flatten(s, refusedSessions, refusedTallies)
	_, derivedUnwritable := c.appendStream(s, "dead_letter", storagewrite.Fallbacks(s, derived))
	storagewrite.Unwritable(s, derivedUnwritable)

	written := beam.Flatten(s, writtenEvents, writtenBots, writtenDead, writtenFallbacks,
		storagewrite.Unwritable(s, unwritable),
		beam.ParDo(s, deliveryOf, duplicates)) // a duplicate is settled once decided

	acked := beam.ParDo(s, ackedTally, pubsub.Acknowledge(s, c.PubSub, written))
	tally.Write(s, c.tallyDir(), tallies, acked,
		beam.ParDo(s, refusedTally, beam.Flatten(s, refused, derived)),
		beam.ParDo(s, refusedFallbackTally, beam.Flatten(s, unwritable, derivedUnwritable)),
		beam.ParDo(s, refusedSessionTally, refusedSessions),
		tally.Latency(s, VisibleLatency, writtenEvents),
		tally.Count(s, Messages, records),
		tally.Count(s, tally.Sessions, beam.WindowInto(s, window.NewGlobalWindows(), sessions)))
}

// recordsIn emits one delivery per input record a message stands for (a
// beacon's events), the count files.RecordsIn gives batch.
func recordsIn(r schemas.Record, emit func(schemas.Delivery)) {
	for range files.RecordsIn(r) {
		emit(r.DeliveryOf())
	}
}

func deliveryOf(e schemas.Event) schemas.Delivery { return e.Delivery }

// Tally names of the streaming run's messages read and acknowledged, of
// its publish -> fact_events visible latency histogram, and of the rows
// BigQuery refused (by table; RefusedFallback for fallback dead letters
// refused too).
const (
	Messages        = "messages"
	Acked           = "acked"
	VisibleLatency  = "visible_latency_ms"
	Rejected        = "bigquery_rejected"
	RefusedFallback = "dead_letter fallback"
)

func ackedTally(n int64) tally.Tally { return tally.Tally{Name: Acked, N: n} }

func refusedTally(r storagewrite.Rejected) tally.Tally {
	return tally.Tally{Name: Rejected, Key: r.Table, N: 1}
}

func refusedFallbackTally(storagewrite.Rejected) tally.Tally {
	return tally.Tally{Name: Rejected, Key: RefusedFallback, N: 1}
}

// refusedSessionTally takes a refused session row off the sessions
// written.
func refusedSessionTally(storagewrite.Rejected) tally.Tally {
	return tally.Tally{Name: tally.Sessions, N: -1}
}

// movedFn counts the record of each refused row as moved, in its publish
// minute, from the outcome it was counted under (its table's, with the
// row's tally key) to To (with key ToKey).
type movedFn struct {
	To, ToKey string
}

// outcomeOf is the outcome a table's rows are counted under.
var outcomeOf = map[string]string{"fact_events": tally.Events, "bot_events": tally.Bots, "dead_letter": tally.DeadLetter}

func (f *movedFn) ProcessElement(r storagewrite.Rejected, emit func(tally.Tally)) {
	from, ok := outcomeOf[r.Table]
	if !ok {
		panic(fmt.Sprintf("pipelines: a refused %s row stands for no record", r.Table)) // a bug in the graph
	}
	published := r.DeliveryOf().Published
	emit(tally.Tally{Name: from, Key: tally.MinuteKey(published, r.Key), N: -1})
	emit(tally.Tally{Name: f.To, Key: tally.MinuteKey(published, f.ToKey), N: 1})
}
