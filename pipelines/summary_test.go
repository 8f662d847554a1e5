package pipelines

import (
	"bytes"
	"math"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

// TestSummaryMoves: in streaming, a record whose row BigQuery refused is
// counted where it ended (the -1/+1 tallies of a move), and the minute and
// the run still balance.
func TestSummaryMoves(t *testing.T) {
	minute := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	key := func(detail string) string { return tally.MinuteKey(minute.Add(20*time.Second), detail) }
	totals := schemas.TallyTotals{}
	for _, tt := range []schemas.Tally{
		{Name: schemas.TallyInputRecords, Key: key(""), N: 10},
		{Name: schemas.TallyEvents, Key: key(""), N: 6},
		{Name: schemas.TallyBots, Key: key("ip"), N: 2},
		{Name: schemas.TallyDeadLetter, Key: key("bad_json"), N: 2},
		// An event refused: into dead_letter. A bot refused, its fallback
		// too: unwritable.
		{Name: schemas.TallyEvents, Key: key(""), N: -1}, {Name: schemas.TallyDeadLetter, Key: key("bigquery_rejected"), N: 1},
		{Name: schemas.TallyBots, Key: key("ip"), N: -1}, {Name: schemas.TallyDeadLetter, Key: key("bigquery_rejected"), N: 1},
		{Name: schemas.TallyDeadLetter, Key: key("bigquery_rejected"), N: -1}, {Name: schemas.TallyUnwritable, Key: key(""), N: 1},
		{Name: Rejected, Key: "fact_events", N: 1}, {Name: Rejected, Key: "bot_events", N: 1}, {Name: Rejected, Key: RefusedFallback, N: 1},
		{Name: Messages, N: 10}, {Name: Acked, N: 10},
	} {
		totals.Add(tt)
	}
	s, err := newSummary(Config{Mode: schemas.ModeStreaming, RunID: "r"}, totals, written{}, minute, minute)
	if err != nil {
		t.Fatal(err)
	}
	intervals := s.Intervals
	if !s.Reconciled {
		t.Fatalf("not reconciled: %v", s.Problems)
	}
	if s.Events != 5 || s.Bots["ip"] != 1 || s.DeadLetter["bigquery_rejected"] != 1 || s.DeadLetter["bad_json"] != 2 || s.Unwritable != 1 {
		t.Errorf("events %d, bots %v, dead letters %v, unwritable %d", s.Events, s.Bots, s.DeadLetter, s.Unwritable)
	}
	if len(intervals) != 1 || intervals[0].InputRecords != 10 || intervals[0].Outcomes != 10 {
		t.Errorf("intervals %+v", intervals)
	}
	var out bytes.Buffer
	s.Print(&out)
	for _, want := range []string{"unwritable", "bigquery_rejected", RefusedFallback} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summary does not show %s:\n%s", want, out.String())
		}
	}
}

// TestSummaryFailedLoads: a batch load that failed for good is a problem
// of its own, and a run without refusals prints none of their lines.
func TestSummaryFailedLoads(t *testing.T) {
	totals := schemas.TallyTotals{}
	for _, tt := range []schemas.Tally{
		{Name: schemas.TallyInputRecords, N: 3}, {Name: schemas.TallyEvents, N: 3},
		{Name: Loaded, Key: "fact_events", N: 3},
		{Name: LoadFailed, Key: "dead_letter$20261101: job j_a0 failed: invalid: no", N: 1},
	} {
		totals.Add(tt)
	}
	three, at := int64(3), time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	s, err := newSummary(Config{RunID: "r"}, totals, written{partitions: []runsummary.PartitionCheck{{Table: "fact_events", Counted: &three, ReadBack: 3}}}, at, at)
	if err != nil {
		t.Fatal(err)
	}
	if s.Reconciled || len(s.Problems) != 1 || s.Problems[0] != "load failed: dead_letter$20261101: job j_a0 failed: invalid: no" {
		t.Errorf("reconciled %t, problems %q", s.Reconciled, s.Problems)
	}
	var out bytes.Buffer
	s.Print(&out)
	if strings.Contains(out.String(), "unwritable") || strings.Contains(out.String(), "bigquery_rejected") {
		t.Errorf("a run without refused rows prints them:\n%s", out.String())
	}
}

// TestSummaryMemoryLimit: a run under a soft memory limit (GOMEMLIMIT) says
// so next to its peak memory, and a run without one prints nothing of it.
func TestSummaryMemoryLimit(t *testing.T) {
	at := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	totals := schemas.TallyTotals{}
	totals.Add(schemas.Tally{Name: schemas.TallyInputRecords, N: 1})
	totals.Add(schemas.Tally{Name: schemas.TallyEvents, N: 1})
	summarize := func(limit int64) (*runsummary.Summary, string) {
		// A limit far above any test's heap: it changes no collection.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
		s, err := newSummary(Config{RunID: "r"}, totals, written{}, at, at.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		s.Print(&out)
		return s, out.String()
	}
	s, out := summarize(1 << 40)
	if s.MemoryLimitMB != 1<<20 || !strings.Contains(out, "(GOMEMLIMIT 1048576 MB)") {
		t.Errorf("memory limit %d MB, printed:\n%s", s.MemoryLimitMB, out)
	}
	s, out = summarize(math.MaxInt64)
	if s.MemoryLimitMB != 0 || strings.Contains(out, "GOMEMLIMIT") {
		t.Errorf("without a limit: memory limit %d MB, printed:\n%s", s.MemoryLimitMB, out)
	}
}
