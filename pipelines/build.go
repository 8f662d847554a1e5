package pipelines

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/io/files"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/bydevice"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/parse"
	"github.com/example/clickstream/transforms/runscope"
	"github.com/example/clickstream/transforms/tally"
)

// Build adds the batch pipeline to s (see the package doc for the flow).
func Build(s beam.Scope, c Config) {
	records, inputCounts := files.Read(s, c.Input, files.WithMaxRecordBytes(c.MaxRecordBytes))
	events, dead := parse.Parse(s, records, parse.Options{HashKeyRef: c.HashKeyRef, IPMode: c.IPMode})
	events = botfilter.Mark(s, events, botfilter.Options{UserAgentFile: c.BotUserAgentFile, IPFile: c.BotIPFile})
	events = enrich.Enrich(s, events, enrich.Options{InternalDomains: c.InternalDomains, IPMode: c.IPMode, HashKeyRef: c.HashKeyRef})

	events, eventsOutOfRange := runscope.Filter(s, c.Dates, events)
	dead, deadOutOfRange := runscope.Filter(s, c.Dates, dead)

	kept, bots, deviceCounts := bydevice.Apply(s, events, bydevice.Options{
		Shards: c.Shards, RateLimit: c.BotRateLimit, RateWindow: c.BotRateWindow,
	})
	if c.BeforeSinks != nil {
		kept = c.BeforeSinks(s, kept)
	}

	warehouse.Write(s, c.Output, c.RunID, "fact_events", kept)
	warehouse.Write(s, c.Output, c.RunID, "bot_events", bots)
	warehouse.Write(s, c.Output, c.RunID, "dead_letter", dead)

	tally.Write(s, c.tallyDir(), inputCounts, eventsOutOfRange, deadOutOfRange, deviceCounts,
		tally.Count(s, tally.DeadLetter, dead))
}
