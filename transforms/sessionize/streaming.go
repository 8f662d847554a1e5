package sessionize

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window/trigger"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/typex"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x2(keyByDevice)
	register.Combiner3[Accumulator, schemas.Event, []schemas.Session](&CombineFn{})
	register.DoFn5x0[context.Context, beam.PaneInfo, string, func(*schemas.Event) bool, func(schemas.Session)](&paneFn{})
	register.Iter1[schemas.Event]()
	register.Emitter1[schemas.Session]()
}

// Streaming is the windowed execution, for streaming runs. It takes
// PCollection<schemas.Event> whose element timestamps are the events'
// EventTime (deduplicated, bots removed) and returns
// PCollection<schemas.Session>.
//
// Events are keyed by device and put into session windows of o.Gap that fire
// when the watermark passes the end of a session, then again for every late
// event within o.AllowedLateness; panes accumulate, so every firing emits the
// rows of the whole session as known so far, with Version = pane index + 1.
// Later events are dropped by the runner. A late event can merge sessions or
// move a session's start or end: the runner then starts a new window, with
// new rows, possibly a new id, and a pane index that starts again at 0. A
// sink keeps the current rows with Latest. The rows stay in their session
// windows.
//
// It groups with GroupByKey and folds each firing through CombineFn in a
// DoFn, rather than beam.CombinePerKey: the Go SDK's combine drops the pane
// (core/runtime/exec/combine.go emits its output without it), so a DoFn after
// CombinePerKey always sees pane index 0.
//
// Batch runs use Batch instead (see the package documentation). The scope
// keeps the name "sessionize.Windowed" whatever the Go name: a running
// Dataflow job is updated by matching its steps' names.
func Streaming(s beam.Scope, events beam.PCollection, o Options) beam.PCollection {
	s = s.Scope("sessionize.Windowed")
	o = mustOptions(o)
	keyed := beam.ParDo(s, keyByDevice, events)
	windowed := beam.WindowInto(s, window.NewSessions(o.Gap), keyed,
		beam.Trigger(trigger.AfterEndOfWindow().LateFiring(trigger.Always())),
		beam.AllowedLateness(o.AllowedLateness),
		beam.PanesAccumulate(),
	)
	return beam.ParDo(s, &paneFn{Combine: CombineFn{Options: o}}, beam.GroupByKey(s, windowed))
}

func keyByDevice(e schemas.Event) (string, schemas.Event) { return e.DeviceID, e }

// CombineFn is the Beam CombineFn over Accumulator: it combines one device's
// events (KV<device_id, schemas.Event>, e.g. in session windows) into that
// device's session rows ([]schemas.Session, Version 1). Streaming folds its
// firings through it.
type CombineFn struct {
	// Options must have been validated (see Options.Validate); zero fields
	// take their defaults.
	Options Options
}

// CreateAccumulator returns an empty accumulator.
func (fn *CombineFn) CreateAccumulator() Accumulator { return Accumulator{} }

// AddInput adds an event.
func (fn *CombineFn) AddInput(a Accumulator, e schemas.Event) Accumulator {
	a.Add(e)
	return a
}

// MergeAccumulators merges two accumulators.
func (fn *CombineFn) MergeAccumulators(a, b Accumulator) Accumulator {
	a.Merge(b)
	return a
}

// ExtractOutput builds the rows.
func (fn *CombineFn) ExtractOutput(a Accumulator) []schemas.Session {
	return a.Rows(fn.Options)
}

// paneFn builds the rows of one firing of a device's session window and
// versions them by the firing's pane.
type paneFn struct {
	Combine CombineFn

	rows, runaway, late beam.Counter
}

func (fn *paneFn) Setup() {
	fn.rows = beam.NewCounter("sessionize", "rows")
	fn.runaway = beam.NewCounter("sessionize", "runaway_rows")
	fn.late = beam.NewCounter("sessionize", "late_rows")
}

func (fn *paneFn) ProcessElement(ctx context.Context, pane beam.PaneInfo, _ string, events func(*schemas.Event) bool, emit func(schemas.Session)) {
	a := fn.Combine.CreateAccumulator()
	var e schemas.Event
	for events(&e) {
		a = fn.Combine.AddInput(a, e)
	}
	for _, r := range fn.Combine.ExtractOutput(a) {
		r.Version = pane.Index + 1
		fn.rows.Inc(ctx, 1)
		if r.IsRunaway {
			fn.runaway.Inc(ctx, 1)
		}
		if pane.Timing == typex.PaneLate {
			fn.late.Inc(ctx, 1)
		}
		emit(r)
	}
}
