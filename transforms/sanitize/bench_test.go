package sanitize

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/example/clickstream/schemas"
)

// benchEvent is a typical fact_events row: every value valid and in bounds.
func benchEvent() schemas.Event {
	at := time.Date(2026, 11, 1, 10, 15, 30, 0, time.UTC)
	return schemas.Event{
		EventID: "5f0c6a1e-8a54-4c39-9b7a-3f1f0e9d2c11", EventType: "product_view", EventDate: schemas.DateOf(at),
		EventTime: at, TimeSource: "derived", CreatedAt: at, DeviceID: "d-7b1e0c", UserKey: "9f0b3ee327af6c2805862994f66a914a",
		SessionID: "c3d1f0aa9b2e4f7e8a1b2c3d4e5f6a7b", Platform: "web",
		PageURL:  "https://shop.example.com/p/sku-123?utm_source=google&utm_medium=cpc&gclid=abc",
		PageHost: "shop.example.com", PagePath: "/p/sku-123", PageQuery: "utm_source=google&utm_medium=cpc&gclid=abc",
		PageKey: "0123456789abcdef", UTMSource: "google", UTMMedium: "cpc", GCLID: "abc",
		Referrer: "https://www.google.com/", ReferrerHost: "www.google.com", DefaultChannelGroup: "Paid Search",
		UserAgent:  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		DeviceType: "desktop", Browser: "Chrome", BrowserVersion: "120.0", OS: "Windows", OSVersion: "10",
		IP: "198.51.100.0", ProductID: "sku-123", CategoryID: "shoes", Currency: "EUR",
		Source: "gs://landing/raw/2026-11-01/part-0001.jsonl.gz", SourceLine: 1234,
	}
}

// BenchmarkRow measures the sanitizer on a clean fact_events row, as the
// DoFn gets it (already boxed by Beam): the column plan, and for
// comparison the floor, the same checks written out by hand for
// schemas.Event without reflection. A row that needs cutting is measured
// too.
func BenchmarkRow(b *testing.B) {
	e := benchEvent()
	p, err := planFor("fact_events", reflect.TypeOf(e))
	if err != nil {
		b.Fatal(err)
	}
	var row any = e
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, changed := p.apply(row); changed {
				b.Fatal("changed")
			}
		}
	})
	b.Run("hand_written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !handChecked(row.(schemas.Event)) {
				b.Fatal("changed")
			}
		}
	})
	dirty := e
	dirty.SearchQuery = strings.Repeat("q", 3000)
	row = dirty
	b.Run("plan_cut", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.apply(row)
		}
	})
}

// handChecked is what a per-type method would do for schemas.Event.
func handChecked(e schemas.Event) bool {
	c := func(s string, n int) bool { return len(s) <= n && utf8.ValidString(s) }
	return c(e.EventID, 256) && c(e.EventType, 128) && c(e.TimeSource, 32) && c(e.DeviceID, 256) &&
		c(e.UserKey, 64) && c(e.ClientSessionID, 256) && c(e.SessionID, 64) && c(e.Platform, 64) &&
		c(e.PageURL, 2048) && c(e.PageHost, 2048) && c(e.PagePath, 2048) && c(e.PageQuery, 2048) &&
		c(e.PageKey, 64) && c(e.UTMSource, 2048) && c(e.UTMMedium, 2048) && c(e.UTMCampaign, 2048) &&
		c(e.UTMTerm, 2048) && c(e.UTMContent, 2048) && c(e.GCLID, 2048) && c(e.MSCLKID, 2048) &&
		c(e.FBCLID, 2048) && c(e.Referrer, 2048) && c(e.ReferrerHost, 2048) && c(e.TrafficSource, 2048) && c(e.TrafficMedium, 2048) && c(e.TrafficCampaign, 2048) && c(e.DefaultChannelGroup, 32) &&
		c(e.GeoCountry, 2) && c(e.GeoRegion, 256) && c(e.GeoCity, 256) && c(e.GeoContinent, 2) &&
		c(e.UserAgent, 1024) && c(e.DeviceType, 32) && c(e.Browser, 128) && c(e.BrowserVersion, 128) &&
		c(e.OS, 128) && c(e.OSVersion, 128) && c(e.IP, 64) && c(e.ProductID, 256) && c(e.CategoryID, 256) &&
		c(e.SearchQuery, 1024) && c(e.Currency, 32) && c(e.OrderID, 256) && c(e.Source, 2048)
}
