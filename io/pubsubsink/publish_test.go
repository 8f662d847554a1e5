package pubsubsink

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/example/clickstream/schemas"
)

func TestMain(m *testing.M) { ptest.Main(m) }

const project = "p"

// newServer starts a pstest server holding the topics.
func newServer(t *testing.T, topics ...string) *pstest.Server {
	t.Helper()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	for _, topic := range topics {
		if _, err := srv.GServer.CreateTopic(context.Background(), &pubsubpb.Topic{Name: "projects/" + project + "/topics/" + topic}); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

// run publishes rows to topic on srv and returns the pubsubsink counters;
// the counts Publish returns must add up to the published counter.
func run(t *testing.T, srv *pstest.Server, topic string, rows []schemas.Anomaly, published int) map[string]int64 {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	counts := Publish(s, beam.CreateList(s, rows), Options{
		Project: project, Topic: topic, Endpoint: srv.Addr, IDField: "anomaly_id", Attempts: 2, Backoff: time.Millisecond,
	})
	if published == 0 {
		passert.Empty(s, counts)
	} else {
		passert.Equals(s, stats.Sum(s, counts), int64(published))
	}
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range res.Metrics().Query(func(r metrics.SingleResult) bool { return r.Namespace() == "pubsubsink" }).Counters() {
		got[c.Name()] += c.Result()
	}
	return got
}

var minute = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var rows = []schemas.Anomaly{
	{AnomalyID: "a1", Minute: minute, Metric: "purchases", Direction: "low", Observed: 0, Expected: 12.5, Lower: 4, Upper: 22, SpanMinutes: 5, Baseline: "trailing"},
	{AnomalyID: "a2", Minute: minute.Add(time.Minute), Metric: "events", Direction: "high", Observed: 900, Expected: 300, Lower: 250, Upper: 350, SpanMinutes: 1, Baseline: "trailing"},
}

func TestPublish(t *testing.T) {
	srv := newServer(t, "anomalies")
	got := run(t, srv, "anomalies", rows, 2)
	if got["published"] != 2 || got["failed"] != 0 {
		t.Errorf("counters = %v, want published 2, failed 0", got)
	}
	msgs := srv.Messages()
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].Attributes["anomaly_id"] < msgs[j].Attributes["anomaly_id"] })
	if len(msgs) != len(rows) {
		t.Fatalf("%d messages on the topic, want %d", len(msgs), len(rows))
	}
	for i, m := range msgs {
		if id := m.Attributes["anomaly_id"]; id != rows[i].AnomalyID {
			t.Errorf("message %d: anomaly_id attribute %q, want %q", i, id, rows[i].AnomalyID)
		}
		var back schemas.Anomaly
		if err := json.Unmarshal(m.Data, &back); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if back.AnomalyID != rows[i].AnomalyID || back.Metric != rows[i].Metric || back.Observed != rows[i].Observed || !back.Minute.Equal(rows[i].Minute) {
			t.Errorf("message %d decodes to %+v, want %+v", i, back, rows[i])
		}
	}
}

// TestPublishFailureDoesNotFailJob publishes to a topic that does not
// exist: the job succeeds and counts every row as failed.
func TestPublishFailureDoesNotFailJob(t *testing.T) {
	srv := newServer(t)
	got := run(t, srv, "missing", rows, 0)
	if got["published"] != 0 || got["failed"] != 2 {
		t.Errorf("counters = %v, want published 0, failed 2", got)
	}
}

// TestMessageWithoutID refuses a row whose id field is missing or empty.
func TestMessageWithoutID(t *testing.T) {
	if _, err := message(schemas.Anomaly{Metric: "events"}, "anomaly_id"); err == nil {
		t.Error("empty anomaly_id: no error")
	}
	if _, err := message(schemas.Anomaly{AnomalyID: "a1"}, "trigger_id"); err == nil {
		t.Error("missing trigger_id field: no error")
	}
	m, err := message(schemas.Anomaly{AnomalyID: "a1"}, "anomaly_id")
	if err != nil || m.Attributes["anomaly_id"] != "a1" {
		t.Errorf("message = %+v, %v; want attribute anomaly_id=a1", m, err)
	}
}
