package storagewrite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/google/uuid"
	"google.golang.org/api/iterator"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/schemas"
)

// TestIntegrationAppend appends a few events to a real fact_events table,
// one of them with a timestamp BigQuery cannot hold, and reads them back.
// The table lives in a dataset of its own, created next to
// CLICKSTREAM_BQ_DATASET (same location) and deleted at the end.
func TestIntegrationAppend(t *testing.T) {
	project, dataset := os.Getenv("CLICKSTREAM_BQ_PROJECT"), os.Getenv("CLICKSTREAM_BQ_DATASET")
	if project == "" || dataset == "" {
		t.Skip("set CLICKSTREAM_BQ_PROJECT and CLICKSTREAM_BQ_DATASET to append to BigQuery")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client, err := bigquery.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	meta, err := client.Dataset(dataset).Metadata(ctx)
	if err != nil {
		t.Fatalf("dataset %s: %v", dataset, err)
	}
	tmp := fmt.Sprintf("%s_storagewrite_%s", dataset, uuid.NewString()[:8])
	ds := client.Dataset(tmp)
	if err := ds.Create(ctx, &bigquery.DatasetMetadata{Location: meta.Location, DefaultTableExpiration: 24 * time.Hour}); err != nil {
		t.Fatalf("create dataset %s: %v", tmp, err)
	}
	t.Cleanup(func() {
		if err := ds.DeleteWithContents(context.Background()); err != nil {
			t.Errorf("delete dataset %s: %v", tmp, err)
		}
	})
	table := schemas.MustTable("fact_events")
	schema, err := bqwarehouse.Schema(table)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Table(table.Name).Create(ctx, &bigquery.TableMetadata{
		Schema:           schema,
		TimePartitioning: &bigquery.TimePartitioning{Type: bigquery.DayPartitioningType, Field: table.TimePartitioning.Field},
	}); err != nil {
		t.Fatalf("create table: %v", err)
	}

	// Today, so that every row falls in a partition BigQuery streams into.
	now := time.Now().UTC().Truncate(time.Microsecond)
	rows := makeEvents("it-"+uuid.NewString()[:8], 5)
	for i := range rows {
		rows[i].EventDate, rows[i].EventTime = schemas.DateOf(now), now.Add(-time.Duration(i)*time.Second)
	}
	rows[3].CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // beyond TIMESTAMP's range

	out, err := runAppend(t, Options{Project: project, Dataset: tmp}, table.Name, func(s beam.Scope) beam.PCollection { return beam.CreateList(s, rows) })
	if err != nil {
		t.Fatal(err)
	}
	checkDeliveries(t, deliveries(rows), out)
	if len(out.rejected) != 1 || out.rejected[0].Fallback.Delivery != rows[3].Delivery {
		t.Errorf("rejected %+v, want only %s", out.rejected, rows[3].EventID)
	} else {
		t.Logf("BigQuery's row error: %s", out.rejected[0].Fallback.Detail)
	}

	it, err := client.Query(fmt.Sprintf("SELECT event_id FROM `%s.%s.%s` ORDER BY event_id", project, tmp, table.Name)).Read(ctx)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var got []string
	for {
		var r struct {
			EventID string `bigquery:"event_id"`
		}
		err := it.Next(&r)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		got = append(got, r.EventID)
	}
	var want []string
	for i, e := range rows {
		if i != 3 {
			want = append(want, e.EventID)
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("fact_events holds %v, want %v", got, want)
	}
}
