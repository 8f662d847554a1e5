package pipelines

import (
	"runtime"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/files"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/bydevice"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/erased"
	"github.com/example/clickstream/transforms/parse"
	"github.com/example/clickstream/transforms/prepare"
	"github.com/example/clickstream/transforms/runscope"
	"github.com/example/clickstream/transforms/tally"
)

// batchGraph adds the batch pipeline to s, writing through k (see the
// package doc for the flow). beforeSinks, when set (tests), is applied to
// the accepted events just before they are written.
func batchGraph(s beam.Scope, c Config, k sink, beforeSinks func(beam.Scope, beam.PCollection) beam.PCollection) {
	records, inputCounts := files.Read(s, c.Input, files.ReadOptions{
		MaxRecordBytes: c.MaxRecordBytes, MaxFileBytes: c.MaxFileBytes, MaxFileRecords: c.MaxFileRecords})
	// Prism runs the read stage as one bundle: prepare records, and encode
	// the shuffle's batches, on every core.
	workers := 0
	if !c.Remote {
		workers = runtime.GOMAXPROCS(0)
	}
	prepareOpts := c.prepareOptions()
	prepareOpts.Workers = workers
	events, dead := prepare.Prepare(s, records, prepareOpts)
	erasedEvents := beam.CreateList(s.Scope("no_erasure_requests"), []schemas.Event{})
	if c.ErasureRequests != "" {
		// Only with requests: on Prism a side input makes the read stage
		// cost about three times the CPU, even an empty one.
		events, erasedEvents = erased.Filter(s, events, erasedKeys(s, c.erasureLookup()))
	}

	kept, duplicates, bots, sessions := bydevice.Batch(s, events, bydevice.BatchOptions{
		Shards: c.Shards, RateLimit: c.BotRateLimit, RateWindow: c.BotRateWindow, Sessions: c.Sessions,
		Workers: workers,
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
		tally.Count(s, schemas.TallyEvents, kept),
		tally.Count(s, schemas.TallyDuplicates, duplicates),
		tally.Count(s, schemas.TallyBots, bots),
		tally.Count(s, schemas.TallyDeadLetter, dead),
		tally.Count(s, schemas.TallySessions, sessions),
		tally.Count(s, schemas.TallyErased, erasedEvents),
		// What each partition must hold, which the driver reads back.
		tally.CountByDate(s, partitionTally("fact_events"), kept),
		tally.CountByDate(s, partitionTally("fact_sessions"), sessions),
		tally.CountByDate(s, partitionTally("bot_events"), bots),
		tally.CountByDate(s, partitionTally("dead_letter"), dead)}

	if beforeSinks != nil {
		kept = beforeSinks(s, kept)
	}
	k.write(s, "fact_events", kept)
	k.write(s, "fact_sessions", sessions)
	k.write(s, "bot_events", bots)
	k.write(s, "dead_letter", dead)
	k.tallies(s, tallies)
}

// prepareOptions configures the step both modes share, from one place.
func (c Config) prepareOptions() prepare.Options {
	return prepare.Options{
		Parse: parse.Options{HashKeyRef: c.HashKeyRef, IPMode: c.IPMode},
		Bots:  botfilter.Options{UserAgentFile: c.BotUserAgentFile, IPFile: c.BotIPFile},
		Enrich: enrich.Options{InternalDomains: c.InternalDomains, IPMode: c.IPMode, HashKeyRef: c.HashKeyRef,
			GeoDB: c.GeoDB},
	}
}

// erasureLookup is where the run reads the erasure requests.
func (c Config) erasureLookup() erasure.Lookup {
	return erasure.Lookup{Requests: c.ErasureRequests, HashKeyRef: c.HashKeyRef,
		Project: c.BigQuery.Project, Dataset: c.BigQuery.Dataset, Endpoint: c.BigQuery.Endpoint}
}
