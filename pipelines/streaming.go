package pipelines

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/bqwarehouse/storagewrite"
	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/bydevice"
	"github.com/example/clickstream/transforms/prepare"
	"github.com/example/clickstream/transforms/sessionize"
	"github.com/example/clickstream/transforms/tally"
)

func init() {
	register.Function2x0(recordsIn)
	register.Function1x1(deliveryOf)
	register.Function1x1(ackedTally)
	register.Function1x1(refusedTally)
	register.Function1x1(refusedFallbackTally)
	register.Function1x1(refusedSessionTally)
	register.DoFn2x0[storagewrite.Rejected, func(schemas.Tally)](&movedFn{})
	register.DoFn1x1[int64, schemas.Tally](&publishedFn{})
	register.Emitter1[schemas.Delivery]()
}

// streamingGraph adds the streaming pipeline to s, writing through k:
// Pub/Sub messages through the same parse, bot filter and enrichment as
// batch; the per-device rules in per-device state (bydevice.Streaming);
// sessions in session windows with allowed lateness (sessionize.Streaming).
// Every row is appended as soon as its bundle is done, and a message is
// acknowledged once all of its rows are written. Records and outcomes are
// counted per publish minute into the reconciliation table; a local run
// also tallies them, with what it acknowledged and published, for its
// summary (on Dataflow nothing would read those tallies). beforeSinks,
// when set (tests), is applied to the accepted events just before they are
// written.
func streamingGraph(s beam.Scope, c Config, k sink, beforeSinks func(beam.Scope, beam.PCollection) beam.PCollection) {
	// Every step has a scope of its own named for what it does: Dataflow
	// updates a running job by matching step names, so they must not
	// depend on the order of the calls below (Beam numbers repeated names)
	// or on the Go names of the functions that build them. The names are
	// checked against clickstream/testdata/streaming_steps.txt.
	records := pubsubsource.Read(s.Scope("read"), c.PubSub)
	events, dead := prepare.Prepare(s.Scope("prepare"), records, c.prepareOptions())
	events, erasedEvents := filterErasedRefreshed(s.Scope("erased"), events, c.erasureLookup(), c.ErasureRefresh)

	kept, duplicates, bots := bydevice.Streaming(s.Scope("per_device"), events, bydevice.StreamingOptions{
		DedupHorizon: c.DedupHorizon, RateLimit: c.BotRateLimit, RateWindow: c.BotRateWindow,
		ExpireState: c.Remote, // timers only on Dataflow: see bydevice.StreamingOptions
	})
	sessions := sessionize.Streaming(s.Scope("sessions"), kept, c.Sessions)
	live := liveTables(s, c, kept)
	if beforeSinks != nil {
		kept = beforeSinks(s, kept)
	}

	writtenEvents, refusedEvents := k.write(s, "fact_events", kept)
	writtenBots, refusedBots := k.write(s, "bot_events", bots)
	writtenDead, refusedDead := k.write(s, "dead_letter", dead)
	// A record whose row BigQuery refuses ends in dead_letter as a fallback
	// row (reason bigquery_rejected), its message acknowledged once that row
	// is written; if the fallback is refused too, it ends unwritable, its
	// message acknowledged all the same. Either way its record moves out of
	// the outcome it was first counted under.
	fb := s.Scope("fallbacks")
	refused := beam.Flatten(fb, refusedEvents, refusedBots, refusedDead)
	writtenFallbacks, unwritable := k.write(fb, "dead_letter", storagewrite.Fallbacks(fb, refused))

	count := func(name string, rows beam.PCollection) beam.PCollection {
		return tally.ByMinute(s.Scope("count_"+name), name, rows)
	}
	is := s.Scope("count_" + schemas.TallyInputRecords)
	tallies := beam.Flatten(s.Scope("tallies"),
		tally.ByMinute(is, schemas.TallyInputRecords, beam.ParDo(is, recordsIn, records)),
		count(schemas.TallyEvents, kept),
		count(schemas.TallyDuplicates, duplicates),
		count(schemas.TallyBots, bots),
		count(schemas.TallyDeadLetter, dead),
		count(schemas.TallyErased, erasedEvents),
		count(schemas.TallyLateForSessions, sessionize.Late(s.Scope("late"), kept, c.Sessions)),
		beam.ParDo(s.Scope("move_refused"), &movedFn{To: schemas.TallyDeadLetter, ToKey: storagewrite.Reason}, refused),
		beam.ParDo(s.Scope("move_unwritable"), &movedFn{To: schemas.TallyUnwritable}, unwritable))

	// Session and reconciliation rows stand for no record and no message:
	// their fallbacks are written apart, outside the records' accounting
	// (and the reconciliation's, which they would otherwise feed back into).
	_, refusedSessions := k.write(s, "fact_sessions", sessions)
	writtenTallies, refusedTallies := k.write(s, "reconciliation", tally.Rows(s.Scope("reconciliation_rows"), c.RunID, tallies))
	lw := writeLive(s, c, k, live)
	ds := s.Scope("derived_fallbacks")
	refusedSessions = beam.WindowInto(ds, window.NewGlobalWindows(), refusedSessions)
	derived := beam.Flatten(ds, append(lw.refused, refusedSessions, refusedTallies)...)
	_, derivedUnwritable := k.write(ds, "dead_letter", storagewrite.Fallbacks(ds, derived))
	storagewrite.Unwritable(ds, derivedUnwritable)

	as := s.Scope("acknowledge")
	written := beam.Flatten(as, writtenEvents, writtenBots, writtenDead, writtenFallbacks,
		storagewrite.Unwritable(as, unwritable),
		beam.ParDo(as, deliveryOf, duplicates),                   // a duplicate is settled once decided
		beam.ParDo(as.Scope("erased"), deliveryOf, erasedEvents), // and so is an erased event
		// Derived rows carry no delivery: see liveWrites.written.
		beam.Flatten(as.Scope("derived"), append(lw.written,
			beam.WindowInto(as.Scope("reconciliation"), window.NewGlobalWindows(), writtenTallies))...))
	acked := pubsubsource.Acknowledge(as, c.PubSub, written)
	if c.Remote {
		// On Dataflow the job runs until drained and no driver reads the
		// run's tallies back: the reconciliation table is its account.
		return
	}

	ts := s.Scope("run_tallies")
	rs, rf, ss := ts.Scope("refused"), ts.Scope("refused_fallbacks"), ts.Scope("sessions")
	k.tallies(ts, append(lw.published, tallies, beam.ParDo(as, ackedTally, acked),
		beam.ParDo(rs, refusedTally, beam.Flatten(rs, refused, derived)),
		beam.ParDo(rf, refusedFallbackTally, beam.Flatten(rf, unwritable, derivedUnwritable)),
		beam.ParDo(ts.Scope("refused_sessions"), refusedSessionTally, refusedSessions),
		tally.Latency(ts.Scope("visible_latency"), VisibleLatency, writtenEvents),
		tally.Count(ts.Scope("messages"), Messages, records),
		tally.Count(ss, schemas.TallySessions, beam.WindowInto(ss, window.NewGlobalWindows(), sessions))))
}

// recordsIn emits one delivery per input record a message stands for (a
// beacon's events), the count schemas.Record.InputRecords gives batch.
func recordsIn(r schemas.Record, emit func(schemas.Delivery)) {
	for range r.InputRecords() {
		emit(r.DeliveryOf())
	}
}

func deliveryOf(e schemas.Event) schemas.Delivery { return e.Delivery }

// Tally names of the streaming run's messages read and acknowledged, of
// the messages it published (by live table), of its publish ->
// fact_events visible latency histogram, and of the rows BigQuery refused
// (by table; RefusedFallback for fallback dead letters refused too).
const (
	Messages        = "messages"
	Acked           = "acked"
	Published       = "published"
	VisibleLatency  = "visible_latency_ms"
	Rejected        = "bigquery_rejected"
	RefusedFallback = "dead_letter fallback"
)

func ackedTally(n int64) schemas.Tally { return schemas.Tally{Name: Acked, N: n} }

func refusedTally(r storagewrite.Rejected) schemas.Tally {
	return schemas.Tally{Name: Rejected, Key: r.Table, N: 1}
}

func refusedFallbackTally(storagewrite.Rejected) schemas.Tally {
	return schemas.Tally{Name: Rejected, Key: RefusedFallback, N: 1}
}

// refusedSessionTally takes a refused session row off the sessions
// written.
func refusedSessionTally(storagewrite.Rejected) schemas.Tally {
	return schemas.Tally{Name: schemas.TallySessions, N: -1}
}

// movedFn counts the record of each refused row as moved, in its publish
// minute, from the outcome it was counted under (its table's, with the
// row's tally key) to To (with key ToKey).
type movedFn struct {
	To, ToKey string
}

// outcomeOf is the outcome a table's rows are counted under.
var outcomeOf = map[string]string{"fact_events": schemas.TallyEvents, "bot_events": schemas.TallyBots, "dead_letter": schemas.TallyDeadLetter}

func (f *movedFn) ProcessElement(r storagewrite.Rejected, emit func(schemas.Tally)) {
	from, ok := outcomeOf[r.Table]
	if !ok {
		panic(fmt.Sprintf("pipelines: a refused %s row stands for no record", r.Table)) // a bug in the graph
	}
	published := r.DeliveryOf().Published
	emit(schemas.Tally{Name: from, Key: tally.MinuteKey(published, r.Key), N: -1})
	emit(schemas.Tally{Name: f.To, Key: tally.MinuteKey(published, f.ToKey), N: 1})
}

// unackedProblem names the messages a run leaves unacknowledged (at most
// ten ids per reason) and why; Pub/Sub redelivers them.
func unackedProblem(unacked []pubsubsource.Unacked) string {
	byReason := map[string][]string{}
	for _, u := range unacked {
		byReason[u.Reason] = append(byReason[u.Reason], u.MessageID)
	}
	var parts []string
	for _, reason := range slices.Sorted(maps.Keys(byReason)) {
		ids := byReason[reason]
		shown := strings.Join(ids[:min(len(ids), 10)], ", ")
		if len(ids) > 10 {
			shown += fmt.Sprintf(" and %d more", len(ids)-10)
		}
		parts = append(parts, fmt.Sprintf("%d because %s (message ids %s)", len(ids), reason, shown))
	}
	return fmt.Sprintf("%d messages left unacknowledged for redelivery: %s", len(unacked), strings.Join(parts, "; "))
}

// perMinute splits tally.ByMinute totals into totals by detail alone (what
// the batch summary shows) and the per-minute intervals.
func perMinute(t schemas.TallyTotals) (schemas.TallyTotals, []runsummary.Interval, error) {
	plain := schemas.TallyTotals{}
	byStart := map[time.Time]*runsummary.Interval{}
	for name, keys := range t {
		for key, n := range keys {
			if name == Messages || name == Acked || name == Published || name == VisibleLatency || name == Rejected || name == schemas.TallySessions {
				plain.Add(schemas.Tally{Name: name, Key: key, N: n})
				continue
			}
			minute, detail, err := tally.SplitKey(key)
			if err != nil {
				return nil, nil, err
			}
			plain.Add(schemas.Tally{Name: name, Key: detail, N: n})
			iv := byStart[minute]
			if iv == nil {
				iv = &runsummary.Interval{Start: minute}
				byStart[minute] = iv
			}
			switch name {
			case schemas.TallyInputRecords:
				iv.InputRecords += n
			case schemas.TallyLateForSessions:
				iv.LateForSessions += n
			default:
				iv.Outcomes += n
			}
		}
	}
	out := make([]runsummary.Interval, 0, len(byStart))
	for _, iv := range byStart {
		out = append(out, *iv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return plain, out, nil
}
