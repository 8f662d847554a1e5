package anomalies

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x3(countOf)
	register.Function2x1(addMinutes)
	register.Function3x1(stampMinute)
	register.Function1x2(keyMinute)
	register.DoFn5x1[context.Context, state.Provider, string, Minute, func(schemas.Anomaly), error](&judgeFn{})
	register.Emitter1[schemas.Anomaly]()
}

// Minute is the counts of one minute of event time.
type Minute struct {
	// Start is the minute's start, Unix ms.
	Start          int64
	Events         int64
	AddToCarts     int64
	CheckoutStarts int64
	Purchases      int64
}

// Metric names (schemas.Anomaly.Metric).
const (
	MetricEvents               = "events"
	MetricAddToCarts           = "add_to_carts"
	MetricCheckoutStarts       = "checkout_starts"
	MetricPurchases            = "purchases"
	MetricPurchasesPerCheckout = "purchases_per_checkout"
)

// counted are the metrics judged on their own counts.
var counted = []struct {
	name  string
	count func(Minute) int64
}{
	{MetricEvents, func(m Minute) int64 { return m.Events }},
	{MetricAddToCarts, func(m Minute) int64 { return m.AddToCarts }},
	{MetricCheckoutStarts, func(m Minute) int64 { return m.CheckoutStarts }},
	{MetricPurchases, func(m Minute) int64 { return m.Purchases }},
}

// Detect takes PCollection<schemas.Event> (accepted events) and returns
// PCollection<schemas.Anomaly> in the global window: Judge over Count.
func Detect(s beam.Scope, events beam.PCollection, o Options) beam.PCollection {
	s = s.Scope("anomalies.Detect")
	return Judge(s, Count(s, events), o)
}

// Count takes PCollection<schemas.Event> and returns PCollection<Minute> in
// the global window: one element per minute of event time that had events,
// emitted when the watermark passes the minute (later events are not
// counted).
func Count(s beam.Scope, events beam.PCollection) beam.PCollection {
	s = s.Scope("anomalies.Count")
	minutes := beam.WindowInto(s, window.NewFixedWindows(time.Minute), beam.ParDo(s, countOf, events))
	sums := beam.ParDo(s, stampMinute, beam.CombinePerKey(s, addMinutes, minutes))
	return beam.WindowInto(s, window.NewGlobalWindows(), sums)
}

// countOf is an event's contribution to its minute, keyed by one key.
func countOf(e schemas.Event) (beam.EventTime, string, Minute) {
	m := Minute{Events: 1}
	switch e.EventType {
	case "add_to_cart":
		m.AddToCarts = 1
	case "checkout_start":
		m.CheckoutStarts = 1
	case "purchase":
		m.Purchases = 1
	}
	return beam.EventTime(e.EventTime.UnixMilli()), "", m
}

func addMinutes(a, b Minute) Minute {
	return Minute{Events: a.Events + b.Events, AddToCarts: a.AddToCarts + b.AddToCarts,
		CheckoutStarts: a.CheckoutStarts + b.CheckoutStarts, Purchases: a.Purchases + b.Purchases}
}

// stampMinute sets a minute's start from its window.
func stampMinute(w beam.Window, _ string, m Minute) Minute {
	m.Start = w.(window.IntervalWindow).Start.Milliseconds()
	return m
}

func keyMinute(m Minute) (string, Minute) { return "", m }

// Judge takes PCollection<Minute> (global window, minutes in any order, a
// minute possibly repeated) and returns PCollection<schemas.Anomaly> in the
// global window: a row per minute and metric outside its band (see the
// package documentation).
func Judge(s beam.Scope, minutes beam.PCollection, o Options) beam.PCollection {
	s = s.Scope("anomalies.Judge")
	o = mustOptions(o)
	return beam.ParDo(s, &judgeFn{
		Span: o.Span, Trailing: o.Trailing, Days: o.Days, Alpha: o.Alpha, MinExpected: o.MinExpected,
		History: state.MakeValueState[history]("history"),
	}, beam.ParDo(s, keyMinute, minutes))
}

// history is the judge's state.
type history struct {
	// First is the first minute the job saw (Unix ms).
	First int64
	// Minutes are the minutes kept, sorted by Start.
	Minutes []Minute
}

// get returns the minute starting at start, zero counts when it had none.
func (h *history) get(start int64) Minute {
	i, ok := slices.BinarySearchFunc(h.Minutes, start, byStart)
	if !ok {
		return Minute{Start: start}
	}
	return h.Minutes[i]
}

func byStart(m Minute, start int64) int { return cmp.Compare(m.Start, start) }

// sum adds the n minutes ending with the one starting at end.
func (h *history) sum(end int64, n int) Minute {
	var total Minute
	for i := range n {
		total = addMinutes(total, h.get(end-int64(i)*time.Minute.Milliseconds()))
	}
	return total
}

type judgeFn struct {
	Span        int
	Trailing    time.Duration
	Days        int
	Alpha       float64
	MinExpected float64
	History     state.Value[history]

	anomalies beam.Counter
}

func (fn *judgeFn) Setup() { fn.anomalies = beam.NewCounter("anomalies", "rows") }

func (fn *judgeFn) ProcessElement(ctx context.Context, sp state.Provider, _ string, m Minute, emit func(schemas.Anomaly)) error {
	h, _, err := fn.History.Read(sp)
	if err != nil {
		return fmt.Errorf("anomalies: read history: %w", err)
	}
	i, seen := slices.BinarySearchFunc(h.Minutes, m.Start, byStart)
	if seen {
		return nil
	}
	h.Minutes = slices.Insert(h.Minutes, i, m)
	if h.First == 0 || m.Start < h.First {
		h.First = m.Start
	}
	day, minute := (24 * time.Hour).Milliseconds(), time.Minute.Milliseconds()
	spanStart := m.Start - int64(fn.Span-1)*minute
	keepFrom := spanStart - int64(fn.Days)*day - fn.Trailing.Milliseconds()
	h.Minutes = slices.DeleteFunc(h.Minutes, func(x Minute) bool { return x.Start < keepFrom })
	if err := fn.History.Write(sp, h); err != nil {
		return fmt.Errorf("anomalies: write history: %w", err)
	}
	if spanStart-fn.Trailing.Milliseconds() < h.First {
		return nil // no baseline yet
	}

	observed := h.sum(m.Start, fn.Span)
	var expected [4]float64
	var basePurchases, baseCheckouts float64
	kind, days := "previous_days", 0
	for d := 1; d <= fn.Days && spanStart-int64(d)*day >= h.First; d++ {
		days++
		base := h.sum(m.Start-int64(d)*day, fn.Span)
		for j, c := range counted {
			expected[j] += float64(c.count(base))
		}
	}
	if days > 0 {
		for j := range expected {
			expected[j] /= float64(days)
		}
		basePurchases, baseCheckouts = expected[3], expected[2]
	} else {
		kind = "trailing"
		n := int(fn.Trailing / time.Minute)
		base := h.sum(spanStart-minute, n)
		scale := float64(fn.Span) / float64(n)
		for j, c := range counted {
			expected[j] = float64(c.count(base)) * scale
		}
		basePurchases, baseCheckouts = float64(base.Purchases), float64(base.CheckoutStarts)
	}

	judge := func(metric string, x int64, lambda float64) {
		if lambda < fn.MinExpected {
			return
		}
		lo, hi := band(lambda, fn.Alpha)
		dir := ""
		switch {
		case x < lo:
			dir = "low"
		case x > hi:
			dir = "high"
		default:
			return
		}
		at := time.UnixMilli(m.Start).UTC()
		sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%s", metric, m.Start, dir))
		fn.anomalies.Inc(ctx, 1)
		emit(schemas.Anomaly{
			AnomalyDate: time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC),
			AnomalyID:   hex.EncodeToString(sum[:16]), Minute: at, Metric: metric, Direction: dir,
			Observed: x, Expected: lambda, Lower: lo, Upper: hi, SpanMinutes: int64(fn.Span),
			Baseline: kind, DecidedAt: time.Now().UTC(),
		})
	}
	for j, c := range counted {
		judge(c.name, c.count(observed), expected[j])
	}
	if baseCheckouts > 0 {
		judge(MetricPurchasesPerCheckout, observed.Purchases, float64(observed.CheckoutStarts)*basePurchases/baseCheckouts)
	}
	return nil
}
