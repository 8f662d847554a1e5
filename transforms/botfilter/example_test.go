package botfilter_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
)

func ExampleMarker() {
	m, err := botfilter.NewMarker(context.Background(), botfilter.Options{IPFile: "testdata/ip_deny.txt"})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range []schemas.Event{
		{UserAgent: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
		{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", IP: "203.0.113.9"},
		{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", IP: "192.0.2.1"},
	} {
		m.Apply(&e)
		fmt.Printf("%q %q\n", e.BotRule, e.BotDetail)
	}
	// Output:
	// "user_agent" "crawler-user-agents: bingbot"
	// "ip" "203.0.113.0/24"
	// "" ""
}

func ExampleMarkRate() {
	start := time.Date(2026, 11, 1, 10, 0, 3, 0, time.UTC)
	var device []schemas.Event
	for i := range 241 { // one event every 0.2 s
		t := start.Add(time.Duration(i) * 200 * time.Millisecond)
		device = append(device, schemas.Event{EventTime: t, EventDate: schemas.DateOf(t)})
	}
	marked := botfilter.MarkRate(device, botfilter.DefaultRateLimit, botfilter.DefaultRateWindow)
	fmt.Println(marked, device[0].BotRule, device[0].BotDetail)
	// Output:
	// 241 rate 241 events in 60s from 2026-11-01T10:00:03Z
}
