package enrich

import (
	"fmt"
	"sync"
	"testing"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich/enrichtest"
)

// benchEvents returns one event per user agent, with a mix of page URLs,
// referrers and addresses.
func benchEvents(uas []string) []schemas.Event {
	pages := []string{
		"https://shop.example.com/",
		"https://shop.example.com/p/sku-123?utm_source=google&utm_medium=cpc&utm_campaign=winter&gclid=EAIaIQobChMI",
		"https://shop.example.com/c/shoes?page=2&sort=price",
		"https://shop.example.com/search?q=red+shoes&utm_source=newsletter&utm_medium=email",
		"https://shop.example.com/checkout/step-2",
	}
	referrers := []string{"", "https://www.google.com/", "https://shop.example.com/c/shoes", "https://l.facebook.com/l.php?u=x", "https://blog.example.org/post/42"}
	events := make([]schemas.Event, len(uas))
	for i, ua := range uas {
		events[i] = schemas.Event{
			EventID: fmt.Sprint(i), UserAgent: ua,
			PageURL: pages[i%len(pages)], Referrer: referrers[i%len(referrers)],
			IP: fmt.Sprintf("198.51.%d.%d", i%256, (i/256)%256),
		}
	}
	return events
}

// BenchmarkEnrich measures Enricher.Apply per event over 12,000 distinct
// user agents: cold misses the user-agent cache every time (each agent is
// parsed by uap-core), warm finds every agent in it.
func BenchmarkEnrich(b *testing.B) {
	const distinct = 12_000
	events := benchEvents(enrichtest.UserAgents(distinct))
	opts := Options{InternalDomains: []string{"example.com"}}

	run := func(b *testing.B, en *Enricher) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e := events[i%len(events)]
			en.Apply(&e)
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("cold", func(b *testing.B) {
		opts := opts
		opts.UACacheSize = 1 // with 12,000 distinct agents in turn, every lookup misses
		en, err := NewEnricher(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		run(b, en)
	})
	b.Run("warm", func(b *testing.B) {
		opts := opts
		opts.UACacheSize = distinct
		en, err := NewEnricher(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < len(events); i += 4 {
					e := events[i]
					en.Apply(&e)
				}
			})
		}
		wg.Wait()
		run(b, en)
	})
}

func TestSyntheticUserAgents(t *testing.T) {
	uas := enrichtest.UserAgents(12_000)
	seen := map[string]bool{}
	for _, ua := range uas {
		seen[ua] = true
	}
	if len(seen) < 10_000 {
		t.Errorf("%d distinct user agents, want >= 10,000", len(seen))
	}
}
