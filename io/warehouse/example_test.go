package warehouse_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// A run: recover from any earlier crash, stage rows in the pipeline, commit
// the dates the run owns in the tables it writes once the pipeline has
// finished, read back.
func Example() {
	dir, err := os.MkdirTemp("", "warehouse")
	if err != nil {
		log.Fatal(err)
	}
	if err := run(filepath.Join(dir, "warehouse")); err != nil {
		log.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		log.Fatal(err)
	}
	// Output:
	// bot_events 2026-11-01: 0 rows in 0 files
	// dead_letter 2026-11-01: 0 rows in 0 files
	// fact_events 2026-11-01: 2 rows in 1 files
	// fact_sessions 2026-11-01: 0 rows in 0 files
	// read back: 2
}

func run(out string) error {
	runID := "run-20261102T0300"
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	if err := warehouse.Recover(out); err != nil {
		return err
	}

	p, s := beam.NewPipelineWithRoot()
	events := beam.CreateList(s, []schemas.Event{
		{EventID: "e1", EventType: "page_view", EventDate: day, EventTime: day.Add(time.Hour), CreatedAt: day.Add(time.Hour),
			DeviceID: "d1", TimeSource: "created_at", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "events.jsonl", SourceLine: 1},
		{EventID: "e2", EventType: "page_view", EventDate: day, EventTime: day.Add(2 * time.Hour), CreatedAt: day.Add(2 * time.Hour),
			DeviceID: "d1", TimeSource: "created_at", DefaultChannelGroup: "Direct", DeviceType: "desktop", Source: "events.jsonl", SourceLine: 2},
	})
	warehouse.Write(s, out, runID, "fact_events", events)
	if err := ptest.Run(p); err != nil {
		return err
	}

	owned := []time.Time{day}
	res, err := warehouse.CommitScope(out, runID, warehouse.Scope{
		"fact_events": owned, "fact_sessions": owned, "bot_events": owned, "dead_letter": owned,
	})
	if err != nil {
		return err
	}
	for _, t := range res.Tables {
		for _, p := range t.Replaced {
			fmt.Printf("%s %s: %d rows in %d files\n", t.Table, p.Date.Format("2006-01-02"), p.Rows, p.Files)
		}
	}
	counts, err := warehouse.CountRows(out, "fact_events", nil)
	if err != nil {
		return err
	}
	fmt.Println("read back:", counts[day])
	return nil
}
