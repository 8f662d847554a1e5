package warehouse

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
)

// input is what one pipeline run writes: fact events in several PCollections
// (so several bundles), bot events and dead letters.
type input struct {
	events     [][]schemas.Event
	bots       []schemas.BotEvent
	deadLetter []schemas.DeadLetter
}

func (in input) allEvents() []schemas.Event { return concat(in.events...) }

// runPipeline stages in under runID on Prism and returns the pipeline's
// counters by name.
func runPipeline(t *testing.T, out, runID string, in input) map[string]int64 {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	for _, events := range in.events {
		Write(s, out, runID, "fact_events", beam.CreateList(s, events))
	}
	if in.bots != nil {
		Write(s, out, runID, "bot_events", beam.CreateList(s, in.bots))
	}
	if in.deadLetter != nil {
		Write(s, out, runID, "dead_letter", beam.CreateList(s, in.deadLetter))
	}
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatalf("pipeline %s: %v", runID, err)
	}
	counters := make(map[string]int64)
	for _, c := range res.Metrics().Query(func(r metrics.SingleResult) bool {
		return r.Namespace() == "warehouse"
	}).Counters() {
		counters[c.Name()] += c.Result()
	}
	return counters
}

func threeTables() input {
	return input{
		events: [][]schemas.Event{
			concat(makeEvents("a", day1, 0, 40), makeEvents("a", day2, 0, 25)),
			concat(makeEvents("b", day1, 0, 30), makeEvents("b", day3, 0, 10)),
			makeEvents("c", day2, 0, 300),
		},
		bots:       concat(makeBotEvents(day1, 12), makeBotEvents(day3, 5)),
		deadLetter: concat(makeDeadLetters(day2, 7), makeDeadLetters(day3, 3)),
	}
}

func TestWritePipeline(t *testing.T) {
	out := filepath.Join(t.TempDir(), "warehouse")
	in := threeTables()
	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	counters := runPipeline(t, out, "run-1", in)
	want := map[string]int64{
		"fact_events_rows_staged": int64(len(in.allEvents())),
		"bot_events_rows_staged":  int64(len(in.bots)),
		"dead_letter_rows_staged": int64(len(in.deadLetter)),
	}
	for name, n := range want {
		if counters[name] != n {
			t.Errorf("counter warehouse/%s = %d, want %d", name, counters[name], n)
		}
	}
	// Nothing is visible before the commit.
	for _, table := range tableNames() {
		if dates, err := Dates(out, table); err != nil || len(dates) != 0 {
			t.Errorf("before commit: Dates(%s) = %v, %v; want none", table, dates, err)
		}
	}
	staged, err := StagedDates(out, "run-1", "dead_letter")
	if want := []time.Time{day2, day3}; err != nil || !slices.Equal(staged, want) {
		t.Errorf("StagedDates(dead_letter) = %v, %v; want %v", staged, err, want)
	}

	res := mustCommit(t, out, "run-1", nil)
	noStaging(t, out)

	wantRows := map[string]map[time.Time]int64{
		"fact_events": {day1: 70, day2: 325, day3: 10},
		"bot_events":  {day1: 12, day3: 5},
		"dead_letter": {day2: 7, day3: 3},
	}
	for table, rows := range wantRows {
		if got := res.Rows(table); !equalCounts(got, rows) {
			t.Errorf("CommitResult.Rows(%s) = %v, want %v", table, got, rows)
		}
		got, err := CountRows(out, table, nil)
		if err != nil || !equalCounts(got, rows) {
			t.Errorf("CountRows(%s) = %v, %v; want %v", table, got, err, rows)
		}
		dates, err := Dates(out, table)
		if err != nil || len(dates) != len(rows) {
			t.Errorf("Dates(%s) = %v, %v; want the %d dates of %v", table, dates, err, len(rows), rows)
		}
	}
	checkRows(t, "fact_events", readAll(t, out, "fact_events", eventKey), in.allEvents(), eventKey)
	checkRows(t, "bot_events", readAll(t, out, "bot_events", botKey), in.bots, botKey)
	checkRows(t, "dead_letter", readAll(t, out, "dead_letter", deadLetterKey), in.deadLetter, deadLetterKey)

	// Hive layout, one file per bundle and date: day1 of fact_events comes
	// from two PCollections, so two bundles. The commit's lock file stays.
	part := regexp.MustCompile(`^(fact_events|bot_events)/event_date=2026-11-0[123]/part-[0-9a-f-]{36}\.parquet$|^dead_letter/dead_letter_date=2026-11-0[23]/part-[0-9a-f-]{36}\.parquet$|^_warehouse\.lock$`)
	for _, line := range tree(t, out) {
		name, _, _ := strings.Cut(line, " ")
		if !strings.HasSuffix(name, "/") && !part.MatchString(filepath.ToSlash(name)) {
			t.Errorf("unexpected file %s", name)
		}
	}
	if files, _ := partFiles(finalDir(out, "fact_events", "event_date=2026-11-01")); len(files) < 2 {
		t.Errorf("fact_events day1 has %d files, want one per bundle (>= 2)", len(files))
	}
}

func equalCounts(a, b map[time.Time]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A bundle that fails after writing some rows leaves no file that a commit
// would count, and its retry stages each row once.
func TestWriteFailedBundleRetry(t *testing.T) {
	out := t.TempDir()
	ctx := context.Background()
	rows := concat(makeEvents("a", day1, 0, 20), makeEvents("a", day2, 0, 20))

	fn := &stageFn{Out: out, RunID: "run-1", Table: "fact_events"}
	if err := (&beginFn{Out: out, RunID: "run-1"}).ProcessElement(nil); err != nil {
		t.Fatal(err)
	}
	if err := fn.Setup(); err != nil {
		t.Fatal(err)
	}
	if err := fn.StartBundle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[:30] {
		if err := fn.ProcessElement(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// The bundle fails here: the runner retries it on the same DoFn.
	tmp, _ := os.ReadDir(filepath.Join(runDir(out, "run-1"), tmpDir))
	if len(tmp) != 2 {
		t.Fatalf("failed bundle has %d temporary files, want 2", len(tmp))
	}
	if err := fn.StartBundle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := fn.ProcessElement(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := fn.FinishBundle(ctx); err != nil {
		t.Fatal(err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(runDir(out, "run-1"), tmpDir)); len(tmp) != 0 {
		t.Errorf("temporary files left after the retry: %d", len(tmp))
	}
	res := mustCommit(t, out, "run-1", nil)
	if got := res.Rows("fact_events"); got[day1] != 20 || got[day2] != 20 {
		t.Errorf("committed rows = %v, want 20 on each day", got)
	}
	checkRows(t, "fact_events", readAll(t, out, "fact_events", eventKey), rows, eventKey)
	noStaging(t, out)
}

func TestWriteRejectsRowWithoutDate(t *testing.T) {
	out := t.TempDir()
	fn := &stageFn{Out: out, RunID: "run-1", Table: "dead_letter"}
	if err := fn.Setup(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := fn.StartBundle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fn.ProcessElement(ctx, schemas.DeadLetter{Reason: "bad_json"}); err == nil {
		t.Error("ProcessElement accepted a dead letter without dead_letter_date")
	}
}

func TestWritePanicsOnBadConfiguration(t *testing.T) {
	tests := []struct {
		name         string
		runID, table string
		rows         any
	}{
		{"unknown table", "run-1", "facts", []schemas.Event{{}}},
		{"wrong row type", "run-1", "bot_events", []schemas.Event{{}}},
		{"run id with a slash", "../run", "fact_events", []schemas.Event{{}}},
		{"empty run id", "", "fact_events", []schemas.Event{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := beam.NewPipelineWithRoot()
			defer func() {
				if recover() == nil {
					t.Error("Write did not panic")
				}
			}()
			Write(s, t.TempDir(), tt.runID, tt.table, beam.CreateList(s, tt.rows))
		})
	}
}

func TestDatesIgnoresOtherEntries(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-1", "fact_events", anys(makeEvents("a", day2, 0, 3)), anys(makeEvents("a", day1, 0, 3)))
	mustCommit(t, out, "run-1", nil)
	for _, dir := range []string{"event_date=2026-11-1", "event_date=2026-11-01x", "other=2026-11-04", ".hidden"} {
		if err := os.MkdirAll(filepath.Join(out, "fact_events", dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dates, err := Dates(out, "fact_events")
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{day1, day2}; !slices.Equal(dates, want) {
		t.Errorf("Dates = %v, want %v", dates, want)
	}
	counts, err := CountRows(out, "fact_events", []time.Time{day2.Add(13 * time.Hour), day3})
	if err != nil {
		t.Fatal(err)
	}
	if !equalCounts(counts, map[time.Time]int64{day2: 3, day3: 0}) {
		t.Errorf("CountRows(day2, day3) = %v, want day2: 3, day3: 0", counts)
	}
}
