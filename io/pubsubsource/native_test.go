package pubsubsource

import (
	"context"
	"reflect"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/example/clickstream/schemas"
)

func TestNativeConversion(t *testing.T) {
	published := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	o := ReadOptions{Project: "p", Subscription: "s", TimestampAttribute: "ts", MaxRecordBytes: 8, Native: true}.withDefaults()
	fn := &nativeFn{Options: o}
	fn.Setup()
	var got []schemas.Record
	for _, m := range []*pubsubioMessage{
		{Data: []byte(`{"a":1}`), Attributes: map[string]string{"ts": "1793527200000"}, PublishTime: timestamppb.New(published)},
		{Data: []byte(`{"event_id":"long"}`), PublishTime: timestamppb.New(published)},
	} {
		fn.ProcessElement(context.Background(), m, func(r schemas.Record) { got = append(got, r) })
	}
	want := []schemas.Record{
		{Source: "pubsub:s", Data: []byte(`{"a":1}`), Size: 7, Arrived: published, Attributes: map[string]string{"ts": "1793527200000"}},
		{Source: "pubsub:s", Data: []byte(`{"event_`), Size: 19, Arrived: published, ReadError: schemas.ReasonTooLarge,
			ReadDetail: "message of 19 bytes exceeds the limit of 8"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Source != w.Source || string(g.Data) != string(w.Data) || g.Size != w.Size || !g.Arrived.Equal(w.Arrived) ||
			g.ReadError != w.ReadError || g.ReadDetail != w.ReadDetail || g.AckID != "" || !g.Watermark.IsZero() ||
			len(g.Attributes) != len(w.Attributes) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestNativeGraph(t *testing.T) {
	o := ReadOptions{Project: "p", Subscription: "s", Endpoint: "127.0.0.1:1", Native: true}

	p, s := beam.NewPipelineWithRoot()
	records := Read(s, o)
	if records.Type().Type() != reflect.TypeFor[schemas.Record]() {
		t.Errorf("Read with Native gives %v, want schemas.Record", records.Type())
	}
	edges, _, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	var external bool
	for _, e := range edges {
		external = external || (e.Op == graph.External && e.Payload.URN == "beam:transform:pubsub_read:v1")
	}
	if !external {
		t.Error("Read with Native does not use pubsubio's Dataflow read")
	}

	// Acknowledge adds no Pub/Sub call: the bogus endpoint is never dialled.
	p, s = beam.NewPipelineWithRoot()
	delivered := beam.Create(s, schemas.Delivery{AckID: "x", Rows: 1})
	passert.Empty(s, Acknowledge(s, o, delivered))
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
}

// TestCreateSubscription creates a run's subscription: on the topic, with
// the run's ack deadline, deleted by Pub/Sub after a day without use.
func TestCreateSubscription(t *testing.T) {
	f := newFake(t, 10*time.Second)
	o := ReadOptions{Project: testProject, Endpoint: f.Addr, AckDeadline: 30 * time.Second}
	id, err := CreateSubscription(context.Background(), o, "events", "fresh")
	if err != nil {
		t.Fatal(err)
	}
	if id != "fresh" {
		t.Errorf("id %q, want fresh", id)
	}
	sub, err := f.GServer.GetSubscription(context.Background(), &pubsubpb.GetSubscriptionRequest{Subscription: "projects/p/subscriptions/fresh"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Topic != f.topic || sub.AckDeadlineSeconds != 30 {
		t.Errorf("subscription on %s with deadline %ds, want %s and 30s", sub.Topic, sub.AckDeadlineSeconds, f.topic)
	}
	if ttl := sub.GetExpirationPolicy().GetTtl().AsDuration(); ttl != 24*time.Hour {
		t.Errorf("expiration TTL %v, want 24h", ttl)
	}
	if _, err := CreateSubscription(context.Background(), o, "events", "fresh"); err == nil {
		t.Error("creating an existing subscription: no error")
	}
}
