package bqwarehouse_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/bigquery"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
)

const project = "test-project"

// newFake starts a fake with an empty dataset "ds" and returns a client
// connected to it.
func newFake(t *testing.T) (*bqfake.Server, *bigquery.Client) {
	t.Helper()
	srv := bqfake.NewServer(project)
	t.Cleanup(srv.Close)
	srv.AddDataset("ds", "EU")
	client, err := bigquery.NewClient(context.Background(), project, srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return srv, client
}

func TestMetadata(t *testing.T) {
	for _, tt := range []struct {
		table      string
		field      string
		clustering []string
		require    bool
	}{
		{"fact_events", "event_date", []string{"event_type", "device_id"}, true},
		{"fact_sessions", "session_date", []string{"default_channel_group", "device_type", "device_id"}, true},
		{"dead_letter", "dead_letter_date", []string{"reason", "source"}, false},
		{"dim_pages", "", []string{"page_type"}, false},
	} {
		t.Run(tt.table, func(t *testing.T) {
			def := schemas.MustTable(tt.table)
			md, err := bqwarehouse.Metadata(def)
			if err != nil {
				t.Fatal(err)
			}
			if tt.field == "" {
				if md.TimePartitioning != nil {
					t.Errorf("partitioned %+v, want unpartitioned", md.TimePartitioning)
				}
			} else if p := md.TimePartitioning; p == nil || p.Type != bigquery.DayPartitioningType || p.Field != tt.field {
				t.Errorf("partitioning %+v, want DAY on %s", p, tt.field)
			}
			if md.Clustering == nil || !slices.Equal(md.Clustering.Fields, tt.clustering) {
				t.Errorf("clustering %+v, want %v", md.Clustering, tt.clustering)
			}
			if md.RequirePartitionFilter != tt.require {
				t.Errorf("require_partition_filter %v, want %v", md.RequirePartitionFilter, tt.require)
			}
			if md.Description != def.Description || len(md.Schema) != len(def.Schema) || md.Schema[0].Description != def.Schema[0].Description {
				t.Errorf("description or schema not carried over: %+v", md)
			}
		})
	}
	bad := schemas.MustTable("fact_events")
	bad.TimePartitioning.Type = "HOUR"
	if _, err := bqwarehouse.Metadata(bad); err == nil {
		t.Error("hourly partitioning accepted")
	}
}

func TestEnsureTablesMissing(t *testing.T) {
	srv, client := newFake(t)
	ctx := context.Background()
	err := bqwarehouse.EnsureTables(ctx, client, "ds", schemas.Tables(), false)
	if err == nil {
		t.Fatal("missing tables accepted")
	}
	for _, tb := range schemas.Tables() {
		if !strings.Contains(err.Error(), "table "+tb.Name+" does not exist") {
			t.Errorf("the error does not name %s: %v", tb.Name, err)
		}
	}
	if !strings.Contains(err.Error(), "owned by Terraform") || !strings.Contains(err.Error(), "--create_tables") {
		t.Errorf("the error does not say what to do: %v", err)
	}
	if _, ok := srv.Table("ds", "fact_events"); ok {
		t.Error("a table was created without create")
	}
	if err := bqwarehouse.EnsureTables(ctx, client, "no_such_dataset", schemas.Tables(), true); err == nil || !strings.Contains(err.Error(), "no_such_dataset") {
		t.Errorf("missing dataset: %v", err)
	}
}

func TestEnsureTablesCreate(t *testing.T) {
	srv, client := newFake(t)
	ctx := context.Background()
	if err := bqwarehouse.EnsureTables(ctx, client, "ds", schemas.Tables(), true); err != nil {
		t.Fatal(err)
	}
	// What tables.insert received: the partitioning and clustering specs.
	for _, def := range schemas.Tables() {
		got, ok := srv.Table("ds", def.Name)
		if !ok {
			t.Fatalf("%s was not created", def.Name)
		}
		if field := def.TimePartitioning.Field; field != "" {
			if p := got.TimePartitioning; p == nil || p.Type != "DAY" || p.Field != field {
				t.Errorf("%s: partitioning %+v, want DAY on %s", def.Name, p, field)
			}
		} else if got.TimePartitioning != nil {
			t.Errorf("%s: partitioned %+v", def.Name, got.TimePartitioning)
		}
		if len(def.Clustering) == 0 {
			if got.Clustering != nil {
				t.Errorf("%s: clustering %+v, want none", def.Name, got.Clustering)
			}
		} else if got.Clustering == nil || !slices.Equal(got.Clustering.Fields, def.Clustering) {
			t.Errorf("%s: clustering %+v, want %v", def.Name, got.Clustering, def.Clustering)
		}
		if got.RequirePartitionFilter != def.RequirePartitionFilter {
			t.Errorf("%s: require_partition_filter %v", def.Name, got.RequirePartitionFilter)
		}
		if got.Description != def.Description || len(got.Schema.Fields) != len(def.Schema) {
			t.Errorf("%s: description %q, %d columns", def.Name, got.Description, len(got.Schema.Fields))
		}
	}
	// Existing tables that match (types as the API reports them) are fine.
	if err := bqwarehouse.EnsureTables(ctx, client, "ds", schemas.Tables(), false); err != nil {
		t.Errorf("second check: %v", err)
	}
}

func TestEnsureTablesMismatch(t *testing.T) {
	_, client := newFake(t)
	ctx := context.Background()
	def := schemas.MustTable("fact_events")
	// The table as a drifted deployment has it.
	drifted := def
	drifted.Schema = nil
	for _, c := range def.Schema {
		switch c.Name {
		case "user_agent": // dropped
			continue
		case "source_line":
			c.Type = "STRING"
		case "session_id":
			c.Mode = "REQUIRED"
		}
		drifted.Schema = append(drifted.Schema, c)
	}
	drifted.Schema = append(drifted.Schema, schemas.Column{Name: "legacy_flag", Type: "BOOL", Mode: "NULLABLE"})
	drifted.TimePartitioning.Field = "created_at"
	drifted.Clustering = []string{"device_id"}
	drifted.RequirePartitionFilter = false
	md, err := bqwarehouse.Metadata(drifted)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Dataset("ds").Table("fact_events").Create(ctx, md); err != nil {
		t.Fatal(err)
	}
	err = bqwarehouse.EnsureTables(ctx, client, "ds", []schemas.Table{def, schemas.MustTable("dim_pages")}, true)
	if err == nil {
		t.Fatal("a drifted table accepted")
	}
	for _, want := range []string{
		"table fact_events: column user_agent is missing (want STRING NULLABLE)",
		"table fact_events: column source_line has type STRING, want INT64",
		"table fact_events: column session_id has mode REQUIRED, want NULLABLE",
		"table fact_events: column legacy_flag (BOOL NULLABLE) is not in the definition",
		"table fact_events: partitioned by DAY on created_at, want by DAY on event_date",
		"table fact_events: clustered by device_id, want event_type, device_id",
		"table fact_events: require_partition_filter is false, want true",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	// Differences do not stop the check of the other tables: the missing
	// one was created.
	if strings.Contains(err.Error(), "dim_pages") {
		t.Errorf("dim_pages reported: %v", err)
	}
	if err := bqwarehouse.EnsureTables(ctx, client, "ds", []schemas.Table{schemas.MustTable("dim_pages")}, false); err != nil {
		t.Errorf("dim_pages was not created: %v", err)
	}
}
