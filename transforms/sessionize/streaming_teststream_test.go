package sessionize

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/typex"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/eventstream"
	"github.com/example/clickstream/schemas"
)

// streamOptions are the options of the streaming tests.
var streamOptions = Options{Gap: 30 * time.Minute, AllowedLateness: time.Hour}

// runStream runs Streaming on Prism over a test stream and returns every row
// it emitted.
func runStream(t *testing.T, steps []eventstream.Step) []schemas.Session {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	get := collect(t, s, Streaming(s, eventstream.Create(t, s, steps...), streamOptions))
	ptest.RunAndValidate(t, p)
	return get()
}

// firing is a window's firing on Dataflow: its version and events.
type firing struct {
	version int64
	events  []schemas.Event
}

// summary describes rows by range (from t0), events and version, sorted.
func summary(rows []schemas.Session) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%v..%v n=%d v=%d", r.SessionStart.Sub(t0), r.SessionEnd.Sub(t0), r.EventCount, r.Version))
	}
	slices.Sort(out)
	return out
}

// TestStreamingStream runs the windowed execution on Prism in streaming mode.
// In each case:
//   - dataflow is what Beam's model (and Dataflow) emits: the firings, each
//     with its version (pane index + 1) and the events of its window;
//     Latest over their rows must give the rows Batch gives for the events
//     the sessions should hold (admitted), one per session;
//   - on Prism, which panes fire is the runner's choice and differs from the
//     model (it tracks trigger readiness per unmerged window [t, t+gap), so
//     it emits fragments, a late event first alone, repeated panes, and pane
//     indexes that restart: see the package documentation). Whatever it
//     emits, every row must be part of one admitted session (same device,
//     range within it, no more events), and Latest over all rows must give
//     the admitted sessions.
func TestStreamingStream(t *testing.T) {
	a, b, c := ev("a", 0), ev("b", 20*time.Minute), ev("c", 45*time.Minute)
	tests := []struct {
		name     string
		steps    []eventstream.Step
		admitted []schemas.Event
		dataflow []firing
	}{
		{
			// The watermark passes 0+30m while the session [0, 75m) is
			// still open: Prism emits fragments (the unmerged window
			// [0,30m) alone, then [20m,75m)) before the whole session.
			name: "0/20/45 min with the watermark at 35 min",
			steps: []eventstream.Step{
				{Add: []schemas.Event{a, b}}, {Watermark: t0.Add(35 * time.Minute)},
				{Add: []schemas.Event{c}},
			},
			admitted: []schemas.Event{a, b, c},
			dataflow: []firing{{1, []schemas.Event{a, b, c}}},
		},
		{
			// A late event inside the session: Dataflow fires the same
			// window again (pane 1). Prism first emits the late event as a
			// session of its own, then the updated session.
			name: "late event within the allowed lateness updates its session",
			steps: []eventstream.Step{
				{Add: []schemas.Event{a, b}}, {Watermark: t0.Add(time.Hour)},
				{Add: []schemas.Event{ev("late", 10*time.Minute)}}, {Watermark: t0.Add(70 * time.Minute)},
			},
			admitted: []schemas.Event{a, b, ev("late", 10*time.Minute)},
			dataflow: []firing{{1, []schemas.Event{a, b}}, {2, []schemas.Event{a, b, ev("late", 10*time.Minute)}}},
		},
		{
			// Late events after the end extend the session: each makes a new
			// window, whose pane index starts again at 0 (on Dataflow too),
			// so versions do not tell the newest row; event counts do.
			name: "late events extend their session",
			steps: []eventstream.Step{
				{Add: []schemas.Event{a, b}}, {Watermark: t0.Add(time.Hour)},
				{Add: []schemas.Event{ev("x", 30*time.Minute)}}, {Watermark: t0.Add(70 * time.Minute)},
				{Add: []schemas.Event{ev("y", 35*time.Minute)}}, {Watermark: t0.Add(80 * time.Minute)},
			},
			admitted: []schemas.Event{a, b, ev("x", 30*time.Minute), ev("y", 35*time.Minute)},
			dataflow: []firing{
				{1, []schemas.Event{a, b}},
				{1, []schemas.Event{a, b, ev("x", 30*time.Minute)}},
				{1, []schemas.Event{a, b, ev("x", 30*time.Minute), ev("y", 35*time.Minute)}},
			},
		},
		{
			// A late event bridges two emitted sessions: the merged session
			// is a new window, whose version can be lower than that of rows
			// it supersedes (Prism emits the late event alone with a higher
			// one).
			name: "late event merges two sessions",
			steps: []eventstream.Step{
				{Add: []schemas.Event{a, ev("b40", 40*time.Minute)}}, {Watermark: t0.Add(80 * time.Minute)},
				{Add: []schemas.Event{b}}, {Watermark: t0.Add(130 * time.Minute)},
			},
			admitted: []schemas.Event{a, ev("b40", 40*time.Minute), b},
			dataflow: []firing{
				{1, []schemas.Event{a}}, {1, []schemas.Event{ev("b40", 40*time.Minute)}},
				{1, []schemas.Event{a, ev("b40", 40*time.Minute), b}},
			},
		},
		{
			// The session [0, 50m) expired at 50m + 1h: the runner drops the
			// late event, which must not start a second copy of the session
			// nor appear in any row.
			name: "event beyond the allowed lateness is dropped",
			steps: []eventstream.Step{
				{Add: []schemas.Event{a, b}}, {Watermark: t0.Add(10 * time.Hour)},
				{Add: []schemas.Event{ev("late", 10*time.Minute)}}, {Watermark: t0.Add(11 * time.Hour)},
			},
			admitted: []schemas.Event{a, b},
			dataflow: []firing{{1, []schemas.Event{a, b}}},
		},
		{
			name:     "no late event",
			steps:    []eventstream.Step{{Add: []schemas.Event{a, b}}, {Watermark: t0.Add(10 * time.Hour)}},
			admitted: []schemas.Event{a, b},
			dataflow: []firing{{1, []schemas.Event{a, b}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Batch(slices.Clone(tt.admitted), Options{})
			var dataflow []schemas.Session
			for _, f := range tt.dataflow {
				for _, r := range Batch(slices.Clone(f.events), Options{}) {
					r.Version = f.version
					dataflow = append(dataflow, r)
				}
			}
			t.Run("dataflow", func(t *testing.T) { diffRows(t, Latest(dataflow), want) })

			rows := runStream(t, tt.steps)
			t.Run("prism", func(t *testing.T) {
				partOf(t, rows, want)
				diffRows(t, Latest(rows), want)
			})
		})
	}
}

// partOf checks that every row is part of one of the sessions: same device,
// a range within the session's, no more events and a version of at least 1.
// A row holding an event the sessions do not (a dropped late event) or the
// events of two sessions fails.
func partOf(t *testing.T, rows, sessions []schemas.Session) {
	t.Helper()
	for _, r := range rows {
		within := func(s schemas.Session) bool {
			return s.DeviceID == r.DeviceID && !r.SessionStart.Before(s.SessionStart) &&
				!r.SessionEnd.After(s.SessionEnd) && r.EventCount <= s.EventCount
		}
		if !slices.ContainsFunc(sessions, within) || r.Version < 1 {
			t.Errorf("row %v..%v n=%d v=%d is not part of any session %q",
				r.SessionStart.Sub(t0), r.SessionEnd.Sub(t0), r.EventCount, r.Version, summary(sessions))
		}
	}
}

// TestPaneVersion checks that Streaming versions a firing's rows by its pane
// (index + 1), whatever panes the runner fires.
// It groups and folds in a DoFn because the Go SDK's CombinePerKey drops
// the pane (see Streaming).
func TestPaneVersion(t *testing.T) {
	events := []schemas.Event{ev("a", 0), ev("b", 20*time.Minute), ev("c", 2*time.Hour)}
	want := Batch(slices.Clone(events), Options{})
	for _, pane := range []beam.PaneInfo{
		{Timing: typex.PaneOnTime, IsFirst: true, Index: 0},
		{Timing: typex.PaneLate, Index: 1},
		{Timing: typex.PaneLate, IsLast: true, Index: 4},
	} {
		fn := &paneFn{Combine: CombineFn{Options: mustOptions(Options{})}}
		fn.Setup()
		i := 0
		next := func(e *schemas.Event) bool {
			if i == len(events) {
				return false
			}
			*e = events[i]
			i++
			return true
		}
		var got []schemas.Session
		fn.ProcessElement(context.Background(), pane, "d", next, func(r schemas.Session) { got = append(got, r) })
		diffRows(t, got, want)
		for _, r := range got {
			if r.Version != pane.Index+1 {
				t.Errorf("pane %d: row %v has version %d, want %d", pane.Index, r.SessionStart.Sub(t0), r.Version, pane.Index+1)
			}
		}
	}
}
