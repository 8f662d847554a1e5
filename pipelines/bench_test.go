package pipelines

import (
	"context"
	"fmt"
	"testing"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/enrich/enrichtest"
	"github.com/example/clickstream/transforms/parse"
)

// BenchmarkParseEnrich measures the per-record work before the shuffle:
// parse (JSON, contract, event time, user key), the bot filter's
// user-agent and IP rules, and enrichment (URL, UTM, referrer, user agent,
// IP), over 12,000 distinct user agents. cold misses every user-agent cache
// (each agent is parsed by uap-core and checked against the crawler list);
// warm finds every agent cached, as on a worker that has seen the traffic.
func BenchmarkParseEnrich(b *testing.B) {
	const distinct = 12_000
	b.Setenv("CLICKSTREAM_BENCH_KEY", "bench-key")
	records := benchRecords(enrichtest.UserAgents(distinct))
	for _, tc := range []struct {
		name  string
		cache int
	}{{"cold", 1}, {"warm", 2 * len(records)}} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := parse.NewParser(parse.Options{HashKeyRef: "env:CLICKSTREAM_BENCH_KEY"})
			if err != nil {
				b.Fatal(err)
			}
			m, err := botfilter.NewMarker(context.Background(), botfilter.Options{UACacheSize: tc.cache})
			if err != nil {
				b.Fatal(err)
			}
			en, err := enrich.NewEnricher(context.Background(), enrich.Options{InternalDomains: []string{"example.com"}, UACacheSize: tc.cache})
			if err != nil {
				b.Fatal(err)
			}
			process := func(r schemas.Record) {
				p.Parse(r, func(e schemas.Event) {
					m.Apply(&e)
					en.Apply(&e)
				}, func(schemas.DeadLetter) { b.Fatal("a benchmark record was dead-lettered") })
			}
			if tc.name == "warm" {
				for _, r := range records {
					process(r)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				process(records[i%len(records)])
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchRecords returns one raw record per user agent, shaped like the
// generator's: a page view with campaign tags, referrer and user.
func benchRecords(uas []string) []schemas.Record {
	records := make([]schemas.Record, len(uas))
	for i, ua := range uas {
		line := fmt.Sprintf(`{"event_id":"%08d-8a54-4c39-9b7a-3f1f0e9d2c11","event_type":"page_view","device_id":"d-%06d",`+
			`"user_id":"u-%d","session_id":"s-%d","platform":"web","created_at":"2026-11-01T10:15:30.120Z",`+
			`"sent_at":"2026-11-01T10:15:31.004Z","received_at":"2026-11-01T10:15:31.210Z",`+
			`"page_url":"https://shop.example.com/p/sku-%d?utm_source=google&utm_medium=cpc&utm_campaign=winter&gclid=EAIa%d",`+
			`"referrer":"https://www.google.com/","user_agent":%q,"ip":"198.51.%d.%d","product_id":"sku-%d","price":79.9,"currency":"EUR","screen":"1920x1080"}`,
			i, i, i%5000, i, i%900, i, ua, i%256, (i/256)%256, i%900)
		records[i] = schemas.Record{Source: "bench", Line: int64(i + 1), Data: []byte(line), Size: int64(len(line))}
	}
	return records
}
