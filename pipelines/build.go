package pipelines

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/io/bigquery"
	"github.com/example/clickstream/io/files"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/bydevice"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/parse"
	"github.com/example/clickstream/transforms/runscope"
	"github.com/example/clickstream/transforms/tally"
)

// Build adds the batch pipeline to s (see the package doc for the flow).
func Build(s beam.Scope, c Config) {
	records, inputCounts := files.Read(s, c.Input, files.WithMaxRecordBytes(c.MaxRecordBytes),
		files.WithMaxFileBytes(c.MaxFileBytes), files.WithMaxFileRecords(c.MaxFileRecords))
	events, dead := parse.Parse(s, records, parse.Options{HashKeyRef: c.HashKeyRef, IPMode: c.IPMode})
	events = botfilter.Mark(s, events, botfilter.Options{UserAgentFile: c.BotUserAgentFile, IPFile: c.BotIPFile})
	events = enrich.Enrich(s, events, enrich.Options{InternalDomains: c.InternalDomains, IPMode: c.IPMode, HashKeyRef: c.HashKeyRef, GeoDB: c.GeoDB})

	kept, duplicates, bots, sessions := bydevice.Apply(s, events, bydevice.Options{
		Shards: c.Shards, RateLimit: c.BotRateLimit, RateWindow: c.BotRateWindow, Sessions: c.Sessions,
	})

	// The run scope applies after sessionization: a session that started on
	// an owned date keeps its events after midnight, and the events of a
	// session that started the day before get that session's id.
	kept, keptOut := runscope.Filter(s, c.Dates, kept)
	duplicates, duplicatesOut := runscope.Filter(s, c.Dates, duplicates)
	bots, botsOut := runscope.Filter(s, c.Dates, bots)
	dead, deadOut := runscope.Filter(s, c.Dates, dead)
	sessions, _ = runscope.Filter(s, c.Dates, sessions) // sessions are not input records

	// Outcomes are counted where they are decided; the run then checks that
	// the tables hold what was counted.
	tallies := []beam.PCollection{inputCounts, keptOut, duplicatesOut, botsOut, deadOut,
		tally.Count(s, tally.Events, kept),
		tally.Count(s, tally.Duplicates, duplicates),
		tally.Count(s, tally.Bots, bots),
		tally.Count(s, tally.DeadLetter, dead),
		tally.Count(s, tally.Sessions, sessions),
		// What each partition must hold, which the driver reads back.
		tally.CountByDate(s, partitionTally("fact_events"), kept),
		tally.CountByDate(s, partitionTally("fact_sessions"), sessions),
		tally.CountByDate(s, partitionTally("bot_events"), bots),
		tally.CountByDate(s, partitionTally("dead_letter"), dead)}

	if c.BeforeSinks != nil {
		kept = c.BeforeSinks(s, kept)
	}
	var pending beam.PCollection
	if c.Sink == SinkBigQuery {
		// The owned dates are pending before any of their facts is
		// replaced: a job that dies after some loads leaves them pending
		// for the next run's dimension step.
		pending = bigquery.Pending(s, c.loadOptions())
	}
	var loads []beam.PCollection
	loads = append(loads, c.writeBatch(s, "fact_events", kept, pending)...)
	loads = append(loads, c.writeBatch(s, "fact_sessions", sessions, pending)...)
	loads = append(loads, c.writeBatch(s, "bot_events", bots, pending)...)
	loads = append(loads, c.writeBatch(s, "dead_letter", dead, pending)...)
	if c.Sink == SinkBigQuery {
		// No file may carry the tallies out of a Dataflow job: the job
		// decides its verdict itself, after its loads.
		finishBigQuery(s, c, tallies, loads)
		return
	}
	tally.Write(s, c.tallyDir(), tallies...)
}
