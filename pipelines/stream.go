package pipelines

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

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
	events = enrich.Enrich(s, events, enrich.Options{InternalDomains: c.InternalDomains, IPMode: c.IPMode, HashKeyRef: c.HashKeyRef})

	kept, duplicates, bots := bydevice.Stream(s, events, bydevice.StreamOptions{
		DedupHorizon: c.DedupHorizon, RateLimit: c.BotRateLimit, RateWindow: c.BotRateWindow,
		ExpireState: c.Remote, // timers only on Dataflow: see bydevice.StreamOptions
	})
	sessions := sessionize.Windowed(s, kept, c.Sessions)
	if c.BeforeSinks != nil {
		kept = c.BeforeSinks(s, kept)
	}

	tallies := beam.Flatten(s,
		tally.ByMinute(s, tally.InputRecords, beam.ParDo(s, recordsIn, records)),
		tally.ByMinute(s, tally.Events, kept),
		tally.ByMinute(s, tally.Duplicates, duplicates),
		tally.ByMinute(s, tally.Bots, bots),
		tally.ByMinute(s, tally.DeadLetter, dead),
		tally.ByMinute(s, tally.LateForSessions, sessionize.Late(s, kept, c.Sessions)))

	writtenEvents, rejectedEvents := c.appendStream(s, "fact_events", kept)
	writtenBots, rejectedBots := c.appendStream(s, "bot_events", bots)
	writtenDead, _ := c.appendStream(s, "dead_letter", dead)
	// Rows BigQuery rejects become dead letters (still counted under their
	// first outcome); a dead letter it rejects is counted and logged by the
	// sink, not sent round again.
	rejected := beam.Flatten(s, rejectedEvents, rejectedBots)
	writtenRejected, _ := c.appendStream(s, "dead_letter", rejected)
	c.appendStream(s, "fact_sessions", sessions)
	c.appendStream(s, "reconciliation", tally.Rows(s, c.RunID, tallies))
	written := beam.Flatten(s, writtenEvents, writtenBots, writtenDead, writtenRejected,
		beam.ParDo(s, deliveryOf, duplicates)) // a duplicate is settled once decided

	acked := beam.ParDo(s, ackedTally, pubsub.Acknowledge(s, c.PubSub, written))
	tally.Write(s, c.tallyDir(), tallies, acked, tally.Count(s, Rejected, rejected),
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

// Tally names of the streaming run's messages read and acknowledged, and of
// its publish -> fact_events visible latency histogram.
const (
	Messages       = "messages"
	Acked          = "acked"
	VisibleLatency = "visible_latency_ms"
	Rejected       = "bigquery_rejected"
)

func ackedTally(n int64) tally.Tally { return tally.Tally{Name: Acked, N: n} }
