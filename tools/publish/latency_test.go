package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A trigger's latency runs from the moment the replay reached its last cart
// event + abandon_after; one fired by the end-of-stream flush is measured
// from the end of publishing; recoveries and repeated trigger ids add none.
func TestTriggerLatency(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock.jsonl")
	c, err := newClockWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i := range 3 * clockEvery {
		if err := c.published(day.Add(time.Duration(i) * time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ticks, err := readClock(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ticks) != 4 || !ticks[0].EventTime.Equal(day.Add(99*time.Minute)) || !ticks[3].EventTime.Equal(day.Add(299*time.Minute)) {
		t.Fatalf("ticks %+v, want 4 reaching 11:39 ... 14:59", ticks)
	}
	// Wall times of the test's own ticks are microseconds apart: give them
	// known ones.
	base := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for i := range ticks {
		ticks[i].Wall = base.Add(time.Duration(i) * 10 * time.Second)
	}
	var l triggerLatencies
	seen := map[string]bool{}
	msg := func(id, status string, last time.Time) []byte {
		return []byte(`{"trigger_id":"` + id + `","status":"` + status + `","last_event_time":"` + last.Format(time.RFC3339Nano) + `"}`)
	}
	// Due at 11:45: reached by the second tick (12:59), at base+10s.
	l.add(ticks, 15*time.Minute, msg("a", "abandoned", day.Add(90*time.Minute)), base.Add(12*time.Second), seen)
	l.add(ticks, 15*time.Minute, msg("a", "abandoned", day.Add(90*time.Minute)), base.Add(50*time.Second), seen)
	l.add(ticks, 15*time.Minute, msg("a", "recovered", day.Add(90*time.Minute)), base.Add(60*time.Second), seen)
	// Due at 15:10, after the replay's end (14:59, base+30s).
	l.add(ticks, 15*time.Minute, msg("b", "abandoned", day.Add(295*time.Minute)), base.Add(45*time.Second), seen)
	if len(l.onTime) != 1 || l.onTime[0] != 2*time.Second || len(l.atEnd) != 1 || l.atEnd[0] != 15*time.Second {
		t.Fatalf("latencies on time %v, at end %v; want [2s] and [15s]", l.onTime, l.atEnd)
	}
	var out bytes.Buffer
	l.print(&out, 15*time.Minute)
	if !strings.Contains(out.String(), "1 triggers, p50 2s, p99 2s") || !strings.Contains(out.String(), "1 triggers, p50 15s, p99 15s") {
		t.Errorf("printed %q", out.String())
	}
}
