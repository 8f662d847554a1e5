package anomalies

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
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
	// Flagged is set by Judge in its history: bit j when counted[j] was
	// out of its band in a span holding this minute. Count leaves it 0.
	Flagged uint8
}

// Metric names (schemas.Anomaly.Metric).
const (
	MetricEvents               = "events"
	MetricAddToCarts           = "add_to_carts"
	MetricCheckoutStarts       = "checkout_starts"
	MetricPurchases            = "purchases"
	MetricPurchasesPerCheckout = "purchases_per_checkout"
)

// Indexes of counted.
const (
	iCheckouts = 2
	iPurchases = 3
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
	if spanStart-fn.Trailing.Milliseconds() < h.First {
		return fn.write(sp, h) // no baseline yet
	}

	observed := h.sum(m.Start, fn.Span)
	trailing := make([]Minute, fn.Trailing/time.Minute)
	for k := range trailing {
		trailing[k] = h.get(spanStart - int64(k+1)*minute)
	}
	base, kind := trailing, "trailing"
	var days []Minute
	for d := 1; d <= fn.Days && spanStart-int64(d)*day >= h.First; d++ {
		for k := range fn.Span {
			days = append(days, h.get(spanStart-int64(d)*day+int64(k)*minute))
		}
	}
	if len(days) > 0 {
		base, kind = days, "previous_days"
	}
	expected, phi := make([]float64, len(counted)), make([]float64, len(counted))
	for j := range counted {
		expected[j] = rate(base, j) * float64(fn.Span)
		phi[j] = dispersion(trailing, fn.Span, j)
	}

	// judge writes a row when x is out of the band around lambda, and
	// reports whether it did.
	judge := func(metric string, x int64, lambda, phi float64) bool {
		if lambda/phi < fn.MinExpected {
			return false
		}
		lo, hi := quasiBand(lambda, phi, fn.Alpha)
		dir := ""
		switch {
		case x < lo:
			dir = "low"
		case x > hi:
			dir = "high"
		default:
			return false
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
		return true
	}
	// A row flags the metric in every minute of its span: the first minutes
	// of an anomaly are in no row of their own (their spans were mostly
	// normal) and would otherwise enter the baseline and its dispersion.
	from, _ := slices.BinarySearchFunc(h.Minutes, spanStart, byStart)
	for j, c := range counted {
		if judge(c.name, c.count(observed), expected[j], phi[j]) {
			for k := from; k < len(h.Minutes) && h.Minutes[k].Start <= m.Start; k++ {
				h.Minutes[k].Flagged |= 1 << j
			}
		}
	}
	if expected[iCheckouts] > 0 {
		judge(MetricPurchasesPerCheckout, observed.Purchases, float64(observed.CheckoutStarts)*expected[iPurchases]/expected[iCheckouts], phi[iPurchases])
	}
	return fn.write(sp, h)
}

func (fn *judgeFn) write(sp state.Provider, h history) error {
	if err := fn.History.Write(sp, h); err != nil {
		return fmt.Errorf("anomalies: write history: %w", err)
	}
	return nil
}

// rate is the mean count of counted[j] per minute of the baseline minutes,
// leaving out those flagged for it unless they are more than half: an
// anomaly does not shift the baseline it is judged against (a 15-minute
// x4 spike would raise a 2-hour mean by 38 %), while a lasting change
// becomes the new normal once it fills half the baseline.
func rate(base []Minute, j int) float64 {
	var all, clean, n float64
	for _, m := range base {
		c := float64(counted[j].count(m))
		all += c
		if m.Flagged&(1<<j) == 0 {
			clean += c
			n++
		}
	}
	if 2*n < float64(len(base)) {
		return all / float64(len(base))
	}
	return clean / n
}

// dispersion is how many times its mean the variance of counted[j] is,
// summed over a span: estimated on consecutive spans of the trailing
// minutes, leaving out spans with a minute flagged for it, and taken at the
// estimate's one-sided 95 % upper confidence bound (variance times n-1 over
// the chi-square 5 % quantile with n-1 degrees of freedom, Wilson-Hilferty),
// so that a low estimate from a few dozen spans does not narrow the band;
// at least 1, and 1 with fewer than 10 spans. Events come in visits, so
// their count varies several times more than a Poisson count (about 5.6
// times over 3 minutes in the generator's anomaly stream; add-to-carts,
// checkouts and purchases stay near 1).
func dispersion(trailing []Minute, span, j int) float64 {
	var sums []float64
	for b := 0; b+span <= len(trailing); b += span {
		sum, clean := 0.0, true
		for _, m := range trailing[b : b+span] {
			sum += float64(counted[j].count(m))
			clean = clean && m.Flagged&(1<<j) == 0
		}
		if clean {
			sums = append(sums, sum)
		}
	}
	if len(sums) < 10 {
		return 1
	}
	var mean, ss float64
	for _, x := range sums {
		mean += x
	}
	mean /= float64(len(sums))
	if mean == 0 {
		return 1
	}
	for _, x := range sums {
		ss += (x - mean) * (x - mean)
	}
	k := float64(len(sums) - 1)
	q := k * math.Pow(1-2/(9*k)-1.645*math.Sqrt(2/(9*k)), 3)
	return max(1, ss/q/mean)
}
