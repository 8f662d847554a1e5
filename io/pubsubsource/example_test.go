package pubsubsource_test

import (
	"context"
	"fmt"
	"log"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(writeRecord)
}

// writeRecord stands for the pipeline between the reader and its sinks: it
// "writes" one row per record and reports it.
func writeRecord(r schemas.Record) schemas.Delivery {
	d := r.DeliveryOf()
	d.Rows = 1
	return d
}

// A local streaming run on Prism: read the subscription, acknowledge every
// message once its row is written. Here Google's in-process fake (pstest)
// stands in for Pub/Sub; against the service, leave Endpoint empty.
func Example() {
	ctx := context.Background()
	srv := pstest.NewServer()
	topic := "projects/my-project/topics/clickstream"
	if _, err := srv.GServer.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
		log.Fatal(err)
	}
	if _, err := srv.GServer.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: "projects/my-project/subscriptions/clickstream-events", Topic: topic, AckDeadlineSeconds: 60,
	}); err != nil {
		log.Fatal(err)
	}
	var ids []string
	for _, body := range []string{`{"event_id":"e1"}`, `{"events":[{"event_id":"e2"}]}`} {
		ids = append(ids, srv.Publish(topic, []byte(body), map[string]string{"event_time": "2026-11-01T10:00:00Z"}))
	}

	o := pubsubsource.ReadOptions{
		Project:            "my-project",
		Subscription:       "clickstream-events",
		Endpoint:           srv.Addr,
		TimestampAttribute: "event_time",
		// A local run must end by itself: after MaxMessages messages or
		// MaxDuration, every window is flushed.
		MaxMessages: int64(len(ids)),
	}
	p, s := beam.NewPipelineWithRoot()
	records := pubsubsource.Read(s, o)
	delivered := beam.ParDo(s, writeRecord, records)
	pubsubsource.Acknowledge(s, o, delivered)
	if err := beamx.Run(ctx, p); err != nil {
		log.Fatal(err)
	}

	for _, id := range ids {
		m := srv.Message(id)
		fmt.Printf("%s: delivered %d, acknowledged %d\n", m.Data, m.Deliveries, m.Acks)
	}
	left, err := pubsubsource.GiveBackUnacked(ctx, o)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("left unacknowledged:", len(left))
	_ = srv.Close()
	// Output:
	// {"event_id":"e1"}: delivered 1, acknowledged 1
	// {"events":[{"event_id":"e2"}]}: delivered 1, acknowledged 1
	// left unacknowledged: 0
}
