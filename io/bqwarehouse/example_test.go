package bqwarehouse_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
)

// A run against the fake server: check (here: create) the tables in the
// driver, load the run's rows inside the pipeline, read back what BigQuery
// holds. Against BigQuery, leave Endpoint empty and stage to gs://.
func Example() {
	if err := loadExample(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// clickstream_run-20261102T0300_fact_events_20261101_a0 -> fact_events$20261101 WRITE_TRUNCATE
	// map[20261101:1]
}

func loadExample() error {
	srv := bqfake.NewServer("my-project")
	defer srv.Close()
	srv.AddDataset("clickstream", "EU")
	tmp, err := os.MkdirTemp("", "staging")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	ctx := context.Background()
	client, err := bigquery.NewClient(ctx, "my-project", srv.ClientOptions()...)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := bqwarehouse.EnsureTables(ctx, client, "clickstream", schemas.Tables(), true); err != nil {
		return err
	}

	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	p, s := beam.NewPipelineWithRoot()
	events := beam.CreateList(s, []schemas.Event{
		{EventID: "e1", EventType: "page_view", EventDate: day, EventTime: day.Add(time.Hour), CreatedAt: day.Add(time.Hour),
			DeviceID: "d1", TimeSource: "created_at", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "events.jsonl", SourceLine: 1},
	})
	bqwarehouse.Load(s, bqwarehouse.LoadOptions{
		Project: "my-project", Dataset: "clickstream", TempLocation: tmp, RunID: "run-20261102T0300",
		Owned: []time.Time{day, day.AddDate(0, 0, 1)}, Endpoint: srv.URL(),
	}, "fact_events", events)
	if err := ptest.Run(p); err != nil {
		return err
	}
	for _, j := range srv.Jobs() {
		fmt.Println(j.JobReference.JobId, "->", j.Configuration.Load.DestinationTable.TableId, j.Configuration.Load.WriteDisposition)
	}
	fmt.Println(srv.Partitions("clickstream", "fact_events"))
	return nil
}
