package parse_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/parse"
)

// A beacon of three events: the first is accepted and takes the beacon's
// sent_at and received_at, the second lacks its device_id, the third is not
// an object. Every element ends as an event or a dead-letter row.
func ExampleParser_Parse() {
	// On workers the key comes from Secret Manager ("secret:projects/...").
	if err := os.Setenv("EXAMPLE_HASH_KEY", "example-key"); err != nil {
		log.Fatal(err)
	}
	p, err := parse.NewParser(parse.Options{HashKeyRef: "env:EXAMPLE_HASH_KEY", IPMode: "truncate"})
	if err != nil {
		log.Fatal(err)
	}
	data := []byte(`{"sent_at":"2026-11-01T23:59:59Z","received_at":"2026-11-02T00:00:01Z","events":[` +
		`{"event_id":"e1","event_type":"Page_View","device_id":"d1","created_at":"2026-11-01T23:59:50Z","ip":"198.51.100.23"},` +
		`{"event_id":"e2","event_type":"page_view","created_at":"2026-11-01T23:59:55Z"},` +
		`"oops"]}`)
	r := schemas.Record{Source: "events.jsonl", Line: 7, Data: data, Size: int64(len(data)),
		Arrived: time.Date(2026, 11, 2, 0, 0, 1, 0, time.UTC)}

	p.Parse(r, func(e schemas.Event) {
		fmt.Println("event", e.EventID, e.EventType, e.EventTime.Format(time.RFC3339), e.EventDate.Format(time.DateOnly),
			"line", e.SourceLine, "element", e.BeaconIndex)
	}, func(d schemas.DeadLetter) {
		fmt.Println("dead letter", d.Reason, d.Detail, "line", d.SourceLine, "element", d.BeaconIndex)
	})
	// Output:
	// event e1 page_view 2026-11-01T23:59:52Z 2026-11-01 line 7 element 0
	// dead letter missing_device_id device_id is missing line 7 element 1
	// dead letter bad_event events[2] is not an object line 7 element 2
}

// EventTime corrects the device's clock by the delay the transport
// measured (received_at - sent_at), as Snowplow derives its timestamp.
func ExampleEventTime() {
	created := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	sent := created.Add(5 * time.Second)
	received := time.Date(2026, 11, 1, 10, 3, 5, 0, time.UTC) // the device clock is 3 minutes slow
	t, source, ok := parse.EventTime(created, sent, received)
	fmt.Println(t.Format(time.RFC3339), source, ok)
	// Output:
	// 2026-11-01T10:03:00Z derived true
}
