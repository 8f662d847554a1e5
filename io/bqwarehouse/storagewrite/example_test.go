package storagewrite_test

import (
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/io/bqwarehouse/storagewrite"
	"github.com/example/clickstream/io/bqwarehouse/storagewrite/storagewritetest"
	"github.com/example/clickstream/schemas"
)

// Events to fact_events, against the fake server: written carries each
// appended row's Delivery (to acknowledge its Pub/Sub message), rejected
// the rows BigQuery refused, whose fallback dead letters go to dead_letter.
func Example() {
	if err := appendEvents(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// e1 2026-11-01 2026-11-01 01:00:00 +0000 UTC <nil>
	// e2 2026-11-01 2026-11-01 02:00:00 +0000 UTC <nil>
	// dead letters: 0
}

func appendEvents() error {
	srv, err := storagewritetest.NewServer("my-project", "clickstream")
	if err != nil {
		return err
	}
	defer srv.Close()

	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	event := func(id, ack string, at time.Duration) schemas.Event {
		return schemas.Event{EventID: id, EventType: "page_view", EventDate: day, EventTime: day.Add(at), CreatedAt: day.Add(at),
			DeviceID: "d1", TimeSource: "created_at", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "pubsub:events",
			Delivery: schemas.Delivery{AckID: ack, Rows: 1}}
	}
	p, s := beam.NewPipelineWithRoot()
	events := beam.CreateList(s, []schemas.Event{event("e1", "m1", time.Hour), event("e2", "m2", 2*time.Hour)})

	o := storagewrite.Options{Project: "my-project", Dataset: "clickstream", Endpoint: srv.Addr()}
	written, rejected := storagewrite.Append(s, o, "fact_events", events)
	// A refused row is replaced by its fallback dead letter; one refused
	// too is unwritable: logged, counted, and its message acknowledged.
	fallbackWritten, refused := storagewrite.Append(s, o, "dead_letter", storagewrite.Fallbacks(s, rejected))
	// Acknowledge a message once all its rows are settled (Delivery.Rows).
	acks := beam.Flatten(s, written, fallbackWritten, storagewrite.Unwritable(s, refused))
	passert.Count(s, acks, "deliveries", 2)

	if err := ptest.Run(p); err != nil {
		return err
	}
	rows := srv.Rows("fact_events")
	slices.SortFunc(rows, func(a, b storagewritetest.Row) int {
		return a["event_time"].(time.Time).Compare(b["event_time"].(time.Time))
	})
	for _, r := range rows {
		fmt.Println(r["event_id"], r["event_date"].(time.Time).Format(time.DateOnly), r["event_time"], r["user_key"])
	}
	fmt.Println("dead letters:", len(srv.Rows("dead_letter")))
	return nil
}
