package storagewrite

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/example/clickstream/schemas"
)

// Rows of every table for the tests: each has a unique id, a Delivery with a
// unique ack id, and alternates between optional columns set and NULL.

var day = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func delivery(prefix string, i int) schemas.Delivery {
	return schemas.Delivery{AckID: fmt.Sprintf("%s-ack-%d", prefix, i), Rows: 1}
}

// at is a time on day with microsecond precision, as BigQuery keeps it.
func at(i int) time.Time {
	return day.Add(time.Duration(i)*1500*time.Millisecond + 123*time.Microsecond)
}

func makeEvents(prefix string, n int) []schemas.Event {
	out := make([]schemas.Event, n)
	for i := range out {
		e := schemas.Event{
			EventID: fmt.Sprintf("%s-%d", prefix, i), EventType: "page_view", EventDate: day, EventTime: at(i),
			TimeSource: "received_at", CreatedAt: at(i).Add(-time.Second), DeviceID: fmt.Sprintf("d%d", i%7),
			DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "pubsub:events", SourceLine: 0, BeaconIndex: int64(i % 3),
			PageURL: "https://shop.example/p?q=<a&b>", BotRule: "working state", Delivery: delivery(prefix, i),
		}
		if i%2 == 0 {
			price, qty := 19.99+float64(i), int64(i)
			e.SentAt, e.ReceivedAt = at(i).Add(-500*time.Millisecond), at(i)
			e.UserKey, e.Price, e.Quantity, e.Currency = "u1", &price, &qty, "EUR"
		}
		out[i] = e
	}
	return out
}

func makeBotEvents(prefix string, n int) []schemas.BotEvent {
	out := make([]schemas.BotEvent, n)
	for i, e := range makeEvents(prefix, n) {
		e.BotRule, e.BotDetail = schemas.BotRuleUserAgent, "Googlebot"
		if i%2 == 1 {
			e.Platform, e.IP = "web", "203.0.113.0"
		}
		out[i] = schemas.NewBotEvent(e)
	}
	return out
}

func makeDeadLetters(prefix string, n int) []schemas.DeadLetter {
	out := make([]schemas.DeadLetter, n)
	for i := range out {
		d := schemas.DeadLetter{
			DeadLetterDate: day, Reason: schemas.ReasonBadJSON, Detail: "unexpected end of JSON input",
			Payload: `{"event_id":`, PayloadBytes: 12, Source: fmt.Sprintf("%s-%d", prefix, i), SourceLine: int64(i + 1),
			Delivery: delivery(prefix, i),
		}
		if i%2 == 0 {
			d.Attributes, d.EventID, d.DeviceID = `{"origin":"web"}`, fmt.Sprintf("e%d", i), "d1"
		}
		out[i] = d
	}
	return out
}

func makeSessions(prefix string, n int) []schemas.Session {
	out := make([]schemas.Session, n)
	for i := range out {
		s := schemas.Session{
			SessionID: fmt.Sprintf("%s-%d", prefix, i), SessionDate: day, DeviceID: fmt.Sprintf("d%d", i),
			SessionStart: at(i), SessionEnd: at(i).Add(10 * time.Minute), DurationSeconds: 600.5,
			EventCount: int64(i + 1), PageViews: 2, Purchases: int64(i % 2), HadPurchase: i%2 == 1, Revenue: new(12.5),
			DefaultChannelGroup: "Organic Search", DeviceType: "mobile", IsEngaged: true, Version: 1,
		}
		// Lists of 0 to 3 paths; an empty list comes back as nil.
		for j := range i % 4 {
			s.PagePathSequence = append(s.PagePathSequence, fmt.Sprintf("/p/%d", j))
		}
		if i%2 == 0 {
			s.UserKey, s.LandingPagePath, s.Browser = "u2", "/", "Firefox"
		}
		out[i] = s
	}
	return out
}

// stored returns rows as BigQuery holds them: the fields tagged
// parquet:"-" (working state, the Delivery) zeroed.
func stored[T any](rows []T) []T {
	out := make([]T, len(rows))
	rt := reflect.TypeFor[T]()
	for i, r := range rows {
		v := reflect.ValueOf(&r).Elem()
		for j := range rt.NumField() {
			if name, _, _ := strings.Cut(rt.Field(j).Tag.Get("parquet"), ","); name == "-" {
				v.Field(j).SetZero()
			}
		}
		out[i] = r
	}
	return out
}
