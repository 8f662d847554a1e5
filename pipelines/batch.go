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

	rounds := 1
	if !c.Remote {
		rounds = c.DeviceRounds
	}
	var kept, bots, sessions, tallies []beam.PCollection
	for _, r := range bydevice.Batch(s, events, bydevice.BatchOptions{
		Shards: c.Shards, RateLimit: c.BotRateLimit, RateWindow: c.BotRateWindow, Sessions: c.Sessions,
		Workers: workers, Rounds: rounds,
	}) {
		// The run scope applies after sessionization: a session that
		// started on an owned date keeps its events after midnight, and the
		// events of a session that started the day before get that
		// session's id.
		k, kOut := runscope.Filter(s, c.Dates, r.Kept)
		d, dOut := runscope.Filter(s, c.Dates, r.Duplicates)
		b, bOut := runscope.Filter(s, c.Dates, r.Bots)
		ss, _ := runscope.Filter(s, c.Dates, r.Sessions) // sessions are not input records

		// Outcomes are counted where they are decided; the run then checks
		// that the tables hold what was counted.
		tallies = append(tallies, kOut, dOut, bOut,
			tally.Count(s, schemas.TallyEvents, k),
			tally.Count(s, schemas.TallyDuplicates, d),
			tally.Count(s, schemas.TallyBots, b),
			tally.Count(s, schemas.TallySessions, ss),
			// What each partition must hold, which the driver reads back.
			tally.CountByDate(s, partitionTally("fact_events"), k),
			tally.CountByDate(s, partitionTally("fact_sessions"), ss),
			tally.CountByDate(s, partitionTally("bot_events"), b))
		if beforeSinks != nil {
			k = beforeSinks(s, k)
		}
		kept, bots, sessions = append(kept, k), append(bots, b), append(sessions, ss)
	}
	dead, deadOut := runscope.Filter(s, c.Dates, dead)
	tallies = append(tallies, inputCounts, deadOut,
		tally.Count(s, schemas.TallyDeadLetter, dead),
		tally.Count(s, schemas.TallyErased, erasedEvents),
		tally.CountByDate(s, partitionTally("dead_letter"), dead))

	k.write(s, "fact_events", kept...)
	k.write(s, "fact_sessions", sessions...)
	k.write(s, "bot_events", bots...)
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
