package pipelines

import (
	"context"
	"path/filepath"
	"testing"

	"cloud.google.com/go/pubsub/v2/pstest"

	"github.com/example/clickstream/io/bigquery/bqfake"
	"github.com/example/clickstream/io/bigquery/storagewrite"
	"github.com/example/clickstream/io/bigquery/storagewrite/storagewritetest"
	"github.com/example/clickstream/io/pubsub"
	"github.com/example/clickstream/tools/generate/groundtruth"
)

// TestStreamingBigQuery runs the streaming pipeline from pstest into the
// in-process BigQuery servers (tables created through the REST fake, rows
// through the Storage Write fake) while the Write API fails transiently and
// rejects every search event: nothing is lost, the rejected rows land in
// dead_letter, every message is acknowledged and the run reconciles.
func TestStreamingBigQuery(t *testing.T) {
	srv := pstest.NewServer()
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	rest := bqfake.NewServer("demo")
	t.Cleanup(rest.Close)
	rest.AddDataset("clickstream", "US")
	write, err := storagewritetest.NewServer("demo", "clickstream")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(write.Close)
	write.FailNext(2)
	write.RejectRows(func(table string, row storagewritetest.Row) string {
		if table == "fact_events" && row["event_type"] == "search" {
			return "rejected by the test"
		}
		return ""
	})

	dir := t.TempDir()
	groundtruth.Generate(t, dir, "--seed", "6", "--events", "1500", "--days", "1", "--gzip", "0")
	const project, topic, sub = "demo", "raw-events", "clickstream"
	messages := publishDay(t, project, topic, sub, filepath.Join(dir, "raw", "*", "*"))

	t.Setenv("CLICKSTREAM_E2E_KEY", "e2e-test-key")
	sum, err := RunStreaming(context.Background(), Config{
		Mode:   ModeStreaming,
		Output: t.TempDir(),
		PubSub: pubsub.ReadOptions{Project: project, Subscription: sub, TimestampAttribute: "event_time", MaxMessages: int64(messages)},
		Sink:   SinkBigQuery,
		BigQuery: BigQuery{
			Project: "demo", Dataset: "clickstream", CreateTables: true, Endpoint: rest.URL(), WriteEndpoint: write.Addr(),
		},
		HashKeyRef: "env:CLICKSTREAM_E2E_KEY",
		BotIPFile:  filepath.Join(dir, "bot_ip_denylist.txt"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Reconciled {
		t.Fatalf("not reconciled: %v", sum.Problems)
	}
	if sum.Acked != int64(messages) {
		t.Errorf("acked %d of %d messages", sum.Acked, messages)
	}
	var rejected int64
	for _, d := range write.Rows("dead_letter") {
		if d["reason"] == storagewrite.Reason {
			rejected++
		}
	}
	events := int64(len(write.Rows("fact_events")))
	if rejected == 0 || events+rejected != sum.Events {
		t.Errorf("fact_events %d + rejected %d, counted %d events", events, rejected, sum.Events)
	}
	if got, want := int64(len(write.Rows("dead_letter"))), sumValues(sum.DeadLetter)+rejected; got != want {
		t.Errorf("dead_letter holds %d rows, want %d dead letters + %d rejected", got, sumValues(sum.DeadLetter), rejected)
	}
	if got := int64(len(write.Rows("bot_events"))); got != sumValues(sum.Bots) {
		t.Errorf("bot_events holds %d rows, counted %d", got, sumValues(sum.Bots))
	}
	if _, ok := rest.Table("clickstream", "fact_events"); !ok {
		t.Error("fact_events was not created through the REST API")
	}
	t.Logf("%d messages: %d events (%d rejected into dead_letter), with 2 injected transient failures",
		messages, sum.Events, rejected)
}
