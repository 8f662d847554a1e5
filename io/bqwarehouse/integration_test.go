package bqwarehouse_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"google.golang.org/api/iterator"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/schemas"
)

// The integration tests run against a real project:
//
//	CLICKSTREAM_BQ_PROJECT   the project (required; the tests skip without it)
//	CLICKSTREAM_BQ_LOCATION  the dataset's location (default US)
//	CLICKSTREAM_BQ_TEMP      gs://bucket/prefix to stage load files (the load
//	                         test skips without it)
//
// Each test creates a dataset with a unique name and deletes it, with its
// contents, when it ends. Credentials are Application Default Credentials.

// integrationDataset creates a uniquely named dataset with the tables of
// schemas/tables (created by EnsureTables) and returns a client set to its
// location.
func integrationDataset(t *testing.T) (*bigquery.Client, string) {
	t.Helper()
	project := os.Getenv("CLICKSTREAM_BQ_PROJECT")
	if project == "" {
		t.Skip("CLICKSTREAM_BQ_PROJECT is not set")
	}
	location := os.Getenv("CLICKSTREAM_BQ_LOCATION")
	if location == "" {
		location = "US"
	}
	ctx := context.Background()
	client, err := bigquery.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	client.Location = location
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "clickstream_it_" + time.Now().UTC().Format("20060102T150405") + "_" + hex.EncodeToString(suffix)
	ds := client.Dataset(name)
	if err := ds.Create(ctx, &bigquery.DatasetMetadata{Location: location, DefaultTableExpiration: 24 * time.Hour,
		Description: "clickstream integration test " + t.Name()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ds.DeleteWithContents(context.Background()); err != nil {
			t.Errorf("delete dataset %s: %v", name, err)
		}
	})
	if err := bqwarehouse.EnsureTables(ctx, client, name, schemas.Tables(), true); err != nil {
		t.Fatal(err)
	}
	return client, name
}

// TestIntegrationTables: tables created from schemas/tables read back as
// matching their definitions (BigQuery reports its own type names).
func TestIntegrationTables(t *testing.T) {
	client, dataset := integrationDataset(t)
	ctx := context.Background()
	if err := bqwarehouse.EnsureTables(ctx, client, dataset, schemas.Tables(), false); err != nil {
		t.Fatal(err)
	}
	md, err := client.Dataset(dataset).Table("fact_events").Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := md.TimePartitioning; p == nil || p.Field != "event_date" || !md.RequirePartitionFilter || md.Clustering == nil {
		t.Errorf("fact_events: partitioning %+v, require_partition_filter %v, clustering %+v", p, md.RequirePartitionFilter, md.Clustering)
	}
}

// TestIntegrationLoad loads a small batch through Cloud Storage, then
// replaces one day and empties another.
func TestIntegrationLoad(t *testing.T) {
	client, dataset := integrationDataset(t)
	temp := os.Getenv("CLICKSTREAM_BQ_TEMP")
	if temp == "" {
		t.Skip("CLICKSTREAM_BQ_TEMP is not set")
	}
	run1, run2 := "it-"+dataset+"-1", "it-"+dataset+"-2"
	runs := []struct {
		runID  string
		owned  []time.Time
		events []schemas.Event
		want   []any
	}{
		{run1, []time.Time{day1, day2}, append(events("a", day1, 30), events("a", day2, 20)...),
			[]any{loaded(run1, "fact_events", day1, 30), loaded(run1, "fact_events", day2, 20)}},
		// Day 2 has no rows: emptied without a job.
		{run2, []time.Time{day1, day2}, events("b", day1, 7),
			[]any{loaded(run2, "fact_events", day1, 7), bqwarehouse.LoadResult{Table: "fact_events", Date: day2, Rows: 0}}},
	}
	for _, r := range runs {
		p, s := beam.NewPipelineWithRoot()
		o := bqwarehouse.LoadOptions{Project: client.Project(), Dataset: dataset, TempLocation: temp, RunID: r.runID, Owned: r.owned}
		passert.Equals(s, bqwarehouse.Load(s, o, "fact_events", beam.CreateList(s, r.events)), r.want...)
		if _, err := run(t, p); err != nil {
			t.Fatalf("%s: %v", r.runID, err)
		}
	}
	q := client.Query("SELECT event_date, COUNT(*) AS n, COUNTIF(STARTS_WITH(event_id, 'b-')) AS b FROM `" + client.Project() + "." + dataset +
		".fact_events` WHERE event_date BETWEEN '2026-11-01' AND '2026-11-03' GROUP BY event_date")
	it, err := q.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		var row struct {
			EventDate civil.Date `bigquery:"event_date"`
			N, B      int64
		}
		err := it.Next(&row)
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %d %d", row.EventDate, row.N, row.B))
	}
	if strings.Join(got, ",") != "2026-11-01 7 7" {
		t.Errorf("fact_events holds %v, want only the second run's 7 rows on 2026-11-01", got)
	}
}

// TestIntegrationQueriesDryRun dry-runs every analysis query and every view
// (which costs nothing): BigQuery accepts their syntax, their parameters
// and, for the views, a caller's partition filter reaching the tables,
// which require one.
func TestIntegrationQueriesDryRun(t *testing.T) {
	client, dataset := integrationDataset(t)
	ctx := context.Background()
	params := []bigquery.QueryParameter{
		{Name: "start_date", Value: civil.Date{Year: 2026, Month: 11, Day: 1}},
		{Name: "end_date", Value: civil.Date{Year: 2026, Month: 11, Day: 7}},
		{Name: "lookback_days", Value: int64(30)},
		{Name: "page_path", Value: "/cart"},
	}
	queries, err := filepath.Glob("../../sql/*.sql")
	if err != nil || len(queries) == 0 {
		t.Fatalf("sql/*.sql: %v %v", queries, err)
	}
	views, err := filepath.Glob("../../sql/views/*.sql")
	if err != nil || len(views) == 0 {
		t.Fatalf("sql/views/*.sql: %v %v", views, err)
	}
	dryRun := func(t *testing.T, sql string) {
		t.Helper()
		q := client.Query(sql)
		q.DryRun = true
		q.DefaultProjectID, q.DefaultDatasetID = client.Project(), dataset
		for _, p := range params {
			if strings.Contains(sql, "@"+p.Name) {
				q.Parameters = append(q.Parameters, p)
			}
		}
		job, err := q.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := job.LastStatus().Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range queries {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dryRun(t, string(b))
		})
	}
	for _, f := range views {
		t.Run("views/"+filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			body := strings.NewReplacer("${project}", client.Project(), "${dataset}", dataset).Replace(string(b))
			column := "event_date"
			if strings.Contains(body, ".fact_sessions`") {
				column = "session_date"
			}
			dryRun(t, "SELECT * FROM (\n"+body+"\n) WHERE "+column+" BETWEEN @start_date AND @end_date")
		})
	}
}
