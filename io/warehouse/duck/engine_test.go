package duck_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// Reads counts the rows a model's scans read: a filter on the partition
// column reads that partition's files only, a temporary table counts apart,
// and Empty reads nothing.
func TestEngineReads(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "warehouse")
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var events []schemas.Event
	for d, n := range []int{3, 5} {
		for i := range n {
			date := day.AddDate(0, 0, d)
			events = append(events, schemas.Event{EventID: fmt.Sprintf("e%d-%d", d, i), EventType: "page_view",
				EventDate: date, EventTime: date.Add(time.Hour), CreatedAt: date, DeviceID: "d1",
				TimeSource: "created_at", TrafficClass: "direct", DeviceType: "desktop", Source: "test"})
		}
	}
	if err := warehouse.Stage(dir, "facts", "fact_events", events); err != nil {
		t.Fatal(err)
	}
	if _, err := warehouse.Commit(dir, "facts", nil); err != nil {
		t.Fatal(err)
	}
	e, err := duck.NewEngine(ctx, dir, "dims")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	}()
	query := "SELECT event_id FROM fact_events WHERE event_date BETWEEN @day AND @day"
	n, err := e.Materialize(ctx, "second_day", query, models.Params{"day": models.DateOf(day.AddDate(0, 0, 1))})
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("second_day has %d rows, want 5", n)
	}
	if _, err := e.Query(ctx, "count", "SELECT COUNT(*) FROM second_day", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Empty(ctx, "nothing", query, models.Params{"day": models.DateOf(day)}); err != nil {
		t.Fatal(err)
	}
	reads := e.Reads()
	if len(reads) != 2 {
		t.Fatalf("reads %+v, want one per Materialize and Query", reads)
	}
	if got := reads[0]; got.Model != "second_day" || got.Tables["fact_events"] != 5 || len(got.Tables) != 1 || got.Temporary != 0 {
		t.Errorf("second_day read %+v, want 5 rows of fact_events", got)
	}
	if got := reads[1]; got.Tables["fact_events"] != 0 || got.Temporary != 5 {
		t.Errorf("count read %+v, want the 5 rows of second_day", got)
	}
}
