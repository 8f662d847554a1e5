// Package sampleevents makes fact_events rows shaped like the pipeline's,
// for the benchmarks of the code that moves them (the Parquet writer, the
// shuffle's coder). Their ids are random hex and their other values few, so
// they compress differently from real traffic: figures on real rows come
// from the bench data (make bench).
package sampleevents

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/example/clickstream/schemas"
)

// Events returns n fact_events rows with the fields the pipeline sets (web
// and app events, a third of them with a user, one in ten with cart items),
// drawn from a fixed seed: the same rows on every call.
func Events(n int) []schemas.Event {
	random := rand.New(rand.NewPCG(7, 7))
	pick := func(values ...string) string { return values[random.IntN(len(values))] }
	maybe := func(p float64, s string) string {
		if random.Float64() < p {
			return s
		}
		return ""
	}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]schemas.Event, n)
	for i := range rows {
		at := day.Add(time.Duration(random.Int64N(int64(24 * time.Hour))))
		device := fmt.Sprintf("d-%08x", random.Uint32())
		path := pick("/", "/search", "/cart", "/checkout", fmt.Sprintf("/p/%d", random.IntN(5000)))
		e := schemas.Event{
			EventID: fmt.Sprintf("e-%016x", random.Uint64()), EventType: pick("page_view", "product_view", "add_to_cart", "search", "purchase"),
			EventDate: day, EventTime: at, TimeSource: "created_at", CreatedAt: at, SentAt: at, ReceivedAt: at.Add(time.Second),
			DeviceID: device, UserKey: maybe(0.3, fmt.Sprintf("%032x", random.Uint64())), SessionID: device + "-1",
			Platform: pick("web", "ios", "android"), PageURL: "https://shop.example.com" + path, PageHost: "shop.example.com",
			PagePath: path, PageKey: path, UTMSource: maybe(0.2, pick("google", "newsletter")), UTMMedium: maybe(0.2, "cpc"),
			Referrer: maybe(0.4, "https://www.google.com/"), ReferrerHost: maybe(0.4, "www.google.com"),
			TrafficSource: pick("google", "(direct)"), TrafficMedium: pick("organic", "(none)"), TrafficCampaign: "(not set)",
			DefaultChannelGroup: pick("Organic Search", "Direct"),
			UserAgent:           "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			DeviceType:          pick("mobile", "desktop"), Browser: "Mobile Safari", BrowserVersion: "17", OS: "iOS", OSVersion: "17",
			IP: "203.0.113.0", ProductID: maybe(0.5, fmt.Sprintf("sku-%d", random.IntN(5000))), Properties: maybe(0.5, `{"screen":"390x844"}`),
			Source: "gs://bucket/raw/2026-11-01/part-0001.jsonl.gz", SourceLine: int64(i + 1),
		}
		if random.IntN(10) == 0 {
			price, quantity := 19.99, int64(1)
			e.Items = []schemas.Item{{ItemID: e.ProductID, ItemName: "item", Price: &price, Quantity: &quantity, Currency: "EUR"}}
		}
		rows[i] = e
	}
	return rows
}
