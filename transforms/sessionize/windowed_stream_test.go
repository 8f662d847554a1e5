package sessionize

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window/trigger"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function4x0(versionByPane)
}

// step is one event of a test stream: elements at their event times, or a
// watermark advance (to t0+watermark, or to infinity).
type step struct {
	add       []schemas.Event
	watermark time.Duration
	infinity  bool
}

// streamOptions are the options of the streaming tests.
var streamOptions = Options{Gap: 30 * time.Minute, AllowedLateness: time.Hour}

// runStream runs Windowed on Prism over a test stream and returns every row
// it emitted.
func runStream(t *testing.T, steps []step) []schemas.Session {
	return runStreamWith(t, steps, func(s beam.Scope, events beam.PCollection) beam.PCollection {
		return Windowed(s, events, streamOptions)
	})
}

// runStreamWith runs build on Prism over a test stream and returns every row
// it emitted.
func runStreamWith(t *testing.T, steps []step, build func(beam.Scope, beam.PCollection) beam.PCollection) []schemas.Session {
	t.Helper()
	con := teststream.NewConfig()
	for _, st := range steps {
		var err error
		switch {
		case st.infinity:
			err = con.AdvanceWatermarkToInfinity()
		case st.add != nil:
			for _, e := range st.add {
				if err = con.AddElements(e.EventTime.UnixMilli(), e); err != nil {
					break
				}
			}
		default:
			err = con.AdvanceWatermark(t0.Add(st.watermark).UnixMilli())
		}
		if err != nil {
			t.Fatalf("test stream: %v", err)
		}
	}
	p, s := beam.NewPipelineWithRoot()
	get := collect(t, s, build(s, teststream.Create(s, con)))
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

// TestWindowedStream runs the windowed execution on Prism in streaming mode.
// In each case:
//   - dataflow is what Beam's model (and Dataflow) emits: the firings, each
//     with its version (pane index + 1) and the events of its window;
//   - prism is what Prism v2.77.0 emits, checked exactly: where it differs
//     from dataflow it is the bug BEAM_NOTES describes (trigger readiness per
//     unmerged window [t, t+gap): fragments, a late event first emitted
//     alone, repeated panes, and panes whose index restarts, so versions are
//     not ordered);
//   - on both, Latest over all emitted rows must give the rows Split gives
//     for the events the sessions should hold (admitted), one per session.
func TestWindowedStream(t *testing.T) {
	a, b, c := ev("a", 0), ev("b", 20*time.Minute), ev("c", 45*time.Minute)
	tests := []struct {
		name     string
		steps    []step
		admitted []schemas.Event
		dataflow []firing
		prism    []string
	}{
		{
			// The notes' pattern: the watermark passes 0+30m while the
			// session [0, 75m) is still open. Prism emits the unmerged
			// window [0,30m) alone, then [20m,75m), and the whole session
			// only when the watermark reaches infinity.
			name: "0/20/45 min with the watermark at 35 min",
			steps: []step{
				{add: []schemas.Event{a, b}}, {watermark: 35 * time.Minute},
				{add: []schemas.Event{c}}, {infinity: true},
			},
			admitted: []schemas.Event{a, b, c},
			dataflow: []firing{{1, []schemas.Event{a, b, c}}},
			prism:    []string{"0s..0s n=1 v=1", "0s..45m0s n=3 v=1", "20m0s..45m0s n=2 v=1"},
		},
		{
			// A late event inside the session: Dataflow fires the same
			// window again (pane 1). Prism first emits the late event as a
			// session of its own, then the updated session with version 1.
			name: "late event within the allowed lateness updates its session",
			steps: []step{
				{add: []schemas.Event{a, b}}, {watermark: time.Hour},
				{add: []schemas.Event{ev("late", 10*time.Minute)}}, {watermark: 70 * time.Minute},
				{infinity: true},
			},
			admitted: []schemas.Event{a, b, ev("late", 10*time.Minute)},
			dataflow: []firing{{1, []schemas.Event{a, b}}, {2, []schemas.Event{a, b, ev("late", 10*time.Minute)}}},
			prism:    []string{"0s..20m0s n=2 v=1", "0s..20m0s n=3 v=1", "10m0s..10m0s n=1 v=1"},
		},
		{
			// Late events after the end extend the session: each makes a new
			// window, whose pane index starts again at 0 (on Dataflow too),
			// so versions do not tell the newest row; event counts do.
			name: "late events extend their session",
			steps: []step{
				{add: []schemas.Event{a, b}}, {watermark: time.Hour},
				{add: []schemas.Event{ev("x", 30*time.Minute)}}, {watermark: 70 * time.Minute},
				{add: []schemas.Event{ev("y", 35*time.Minute)}}, {watermark: 80 * time.Minute},
				{infinity: true},
			},
			admitted: []schemas.Event{a, b, ev("x", 30*time.Minute), ev("y", 35*time.Minute)},
			dataflow: []firing{
				{1, []schemas.Event{a, b}},
				{1, []schemas.Event{a, b, ev("x", 30*time.Minute)}},
				{1, []schemas.Event{a, b, ev("x", 30*time.Minute), ev("y", 35*time.Minute)}},
			},
			prism: []string{"0s..20m0s n=2 v=1", "0s..35m0s n=4 v=1",
				"30m0s..30m0s n=1 v=1", "35m0s..35m0s n=1 v=1"},
		},
		{
			// A late event bridges two emitted sessions: the merged session
			// is a new window. Prism emits the late event alone with version
			// 2, above the merged session's version 1.
			name: "late event merges two sessions",
			steps: []step{
				{add: []schemas.Event{a, ev("b40", 40*time.Minute)}}, {watermark: 80 * time.Minute},
				{add: []schemas.Event{b}}, {watermark: 130 * time.Minute},
				{infinity: true},
			},
			admitted: []schemas.Event{a, ev("b40", 40*time.Minute), b},
			dataflow: []firing{
				{1, []schemas.Event{a}}, {1, []schemas.Event{ev("b40", 40*time.Minute)}},
				{1, []schemas.Event{a, ev("b40", 40*time.Minute), b}},
			},
			prism: []string{"0s..0s n=1 v=1", "0s..40m0s n=3 v=1", "20m0s..20m0s n=1 v=2", "40m0s..40m0s n=1 v=1"},
		},
		{
			// The session [0, 50m) expired at 50m + 1h: the runner drops the
			// late event, which must not start a second copy of the session.
			// Prism emits the session twice (on time, then a repeated pane
			// when the watermark reaches infinity), as without the late
			// event (next case); Dataflow emits it once.
			name: "event beyond the allowed lateness is dropped",
			steps: []step{
				{add: []schemas.Event{a, b}}, {watermark: 10 * time.Hour},
				{add: []schemas.Event{ev("late", 10*time.Minute)}}, {watermark: 11 * time.Hour},
				{infinity: true},
			},
			admitted: []schemas.Event{a, b},
			dataflow: []firing{{1, []schemas.Event{a, b}}},
			prism:    []string{"0s..20m0s n=2 v=1", "0s..20m0s n=2 v=1"},
		},
		{
			name:     "no late event",
			steps:    []step{{add: []schemas.Event{a, b}}, {watermark: 10 * time.Hour}, {infinity: true}},
			admitted: []schemas.Event{a, b},
			dataflow: []firing{{1, []schemas.Event{a, b}}},
			prism:    []string{"0s..20m0s n=2 v=1", "0s..20m0s n=2 v=1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := Split(slices.Clone(tt.admitted), Options{})
			var dataflow []schemas.Session
			for _, f := range tt.dataflow {
				for _, r := range Split(slices.Clone(f.events), Options{}) {
					r.Version = f.version
					dataflow = append(dataflow, r)
				}
			}
			t.Run("dataflow", func(t *testing.T) { diffRows(t, Latest(dataflow), want) })

			rows := runStream(t, tt.steps)
			if got := summary(rows); !slices.Equal(got, tt.prism) {
				t.Errorf("Prism emitted %q, want %q (Dataflow: %q)", got, tt.prism, summary(dataflow))
			}
			t.Run("prism", func(t *testing.T) { diffRows(t, Latest(rows), want) })
		})
	}
}

// TestCombinePerKeyDropsPane shows why Windowed groups and folds in a DoFn
// instead of using beam.CombinePerKey: the Go SDK's combine emits its output
// without the pane (core/runtime/exec/combine.go), so a DoFn after it sees
// pane index 0 on every firing, here also on the late pane in which Windowed
// sees index 1. When this test fails, the SDK keeps panes through combines.
func TestCombinePerKeyDropsPane(t *testing.T) {
	steps := []step{
		{add: []schemas.Event{ev("a", 0), ev("c", 40*time.Minute)}}, {watermark: 80 * time.Minute},
		{add: []schemas.Event{ev("b", 20*time.Minute)}}, {watermark: 130 * time.Minute},
		{infinity: true},
	}
	versions := func(rows []schemas.Session) []int64 {
		var v []int64
		for _, r := range rows {
			v = append(v, r.Version)
		}
		slices.Sort(v)
		return slices.Compact(v)
	}
	if got := versions(runStream(t, steps)); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("Windowed emitted versions %v, want [1 2]", got)
	}
	combined := runStreamWith(t, steps, func(s beam.Scope, events beam.PCollection) beam.PCollection {
		o := mustOptions(streamOptions)
		windowed := beam.WindowInto(s, window.NewSessions(o.Gap), beam.ParDo(s, keyByDevice, events),
			beam.Trigger(trigger.AfterEndOfWindow().LateFiring(trigger.Always())),
			beam.AllowedLateness(o.AllowedLateness), beam.PanesAccumulate())
		return beam.ParDo(s, versionByPane, beam.CombinePerKey(s, &CombineFn{Options: o}, windowed))
	})
	if got := versions(combined); !slices.Equal(got, []int64{1}) {
		t.Errorf("after CombinePerKey: versions %v, want [1] (pane index always 0)", got)
	}
}

func versionByPane(pane beam.PaneInfo, _ string, rows []schemas.Session, emit func(schemas.Session)) {
	for _, r := range rows {
		r.Version = pane.Index + 1
		emit(r)
	}
}
