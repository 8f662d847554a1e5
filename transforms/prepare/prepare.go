package prepare

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/internal/inorder"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/parse"
)

func init() {
	register.DoFn4x1[context.Context, schemas.Record, func(schemas.Event), func(schemas.DeadLetter), error](&prepareFn{})
	register.Emitter1[schemas.Event]()
	register.Emitter1[schemas.DeadLetter]()
}

var (
	parsedEvents    = beam.NewCounter("parse", "events")
	deadLetters     = beam.NewCounter("parse", "dead_letter")
	markedUserAgent = beam.NewCounter("botfilter", "marked_user_agent")
	markedIP        = beam.NewCounter("botfilter", "marked_ip")
	notMarked       = beam.NewCounter("botfilter", "not_marked")
	enriched        = beam.NewCounter("enrich", "enriched")
	ipDropped       = beam.NewCounter("enrich", "ip_not_an_address")
)

// Options configures Prepare: one part per package it runs. Only names and
// references travel with the job; each worker loads keys, rule files and
// databases when its DoFn is set up.
type Options struct {
	Parse  parse.Options
	Bots   botfilter.Options
	Enrich enrich.Options
	// Workers prepares a bundle's records on this many goroutines
	// (internal/inorder), emitting in input order; 0 or 1 prepares them on
	// the bundle's own. Only for records that share one window and
	// timestamp: batch files, not Pub/Sub messages.
	Workers int
}

// Prepare parses records, a PCollection<schemas.Record>, marks and enriches
// the events (see the package documentation) and returns the events, a
// PCollection<schemas.Event>, and the dead letters, a
// PCollection<schemas.DeadLetter>. It panics on invalid options.
func Prepare(s beam.Scope, records beam.PCollection, opts Options) (events, dead beam.PCollection) {
	s = s.Scope("prepare.Prepare")
	if err := opts.Bots.Validate(); err != nil {
		panic(err)
	}
	if err := opts.Enrich.Validate(); err != nil {
		panic(err)
	}
	return beam.ParDo2(s, &prepareFn{Options: opts}, records)
}

type prepareFn struct {
	Options Options

	parser   *parse.Parser
	marker   *botfilter.Marker
	enricher *enrich.Enricher
	// pool prepares a bundle's records when Options.Workers > 1.
	pool *inorder.Pool[schemas.Record, prepared]
}

// prepared is what one record became.
type prepared struct {
	events  []schemas.Event
	letters []schemas.DeadLetter
	// ipDropped counts the events whose IP was not an address.
	ipDropped int
}

func (fn *prepareFn) Setup(ctx context.Context) error {
	var err error
	if fn.parser, err = parse.NewParser(fn.Options.Parse); err != nil {
		return err
	}
	if fn.marker, err = botfilter.NewMarker(ctx, fn.Options.Bots); err != nil {
		return err
	}
	fn.enricher, err = enrich.NewEnricher(ctx, fn.Options.Enrich)
	return err
}

func (fn *prepareFn) StartBundle(_ func(schemas.Event), _ func(schemas.DeadLetter)) {
	if fn.Options.Workers > 1 {
		fn.pool = inorder.New(fn.Options.Workers, chunk, fn.prepare)
	}
}

// chunk is how many records a worker prepares at a time: enough to make
// handing them over cheap, few enough to keep every core busy.
const chunk = 256

func (fn *prepareFn) ProcessElement(ctx context.Context, r schemas.Record, emit func(schemas.Event), dead func(schemas.DeadLetter)) error {
	switch {
	case r.Line == 0:
		fn.message(ctx, r, emit, dead)
	case fn.pool != nil:
		fn.pool.Add(r, fn.emitter(ctx, emit, dead))
	default:
		fn.emitter(ctx, emit, dead)(fn.prepare(r))
	}
	return nil
}

func (fn *prepareFn) FinishBundle(ctx context.Context, emit func(schemas.Event), dead func(schemas.DeadLetter)) {
	if fn.pool == nil {
		return
	}
	fn.pool.Flush(fn.emitter(ctx, emit, dead))
	fn.pool.Close()
	fn.pool = nil
}

// prepare parses, marks and enriches one record (on the pool's goroutines
// when there is one).
func (fn *prepareFn) prepare(r schemas.Record) prepared {
	var out prepared
	fn.parser.Parse(r,
		func(e schemas.Event) {
			fn.marker.Apply(&e)
			if fn.enricher.Apply(&e) {
				out.ipDropped++
			}
			out.events = append(out.events, e)
		},
		func(d schemas.DeadLetter) { out.letters = append(out.letters, d) })
	return out
}

// emitter emits and counts what a record became.
func (fn *prepareFn) emitter(ctx context.Context, emit func(schemas.Event), dead func(schemas.DeadLetter)) func(prepared) {
	return func(out prepared) {
		for _, e := range out.events {
			parsedEvents.Inc(ctx, 1)
			switch e.BotRule {
			case schemas.BotRuleUserAgent:
				markedUserAgent.Inc(ctx, 1)
			case schemas.BotRuleIP:
				markedIP.Inc(ctx, 1)
			default:
				notMarked.Inc(ctx, 1)
			}
			enriched.Inc(ctx, 1)
			emit(e)
		}
		if out.ipDropped > 0 {
			ipDropped.Inc(ctx, int64(out.ipDropped))
		}
		for _, d := range out.letters {
			deadLetters.Inc(ctx, 1)
			dead(d)
		}
	}
}

// message prepares a Pub/Sub message: every row it produces carries the
// message's Delivery, with the number of rows, so that the message is
// acknowledged once they are all written.
func (fn *prepareFn) message(ctx context.Context, r schemas.Record, emit func(schemas.Event), dead func(schemas.DeadLetter)) {
	out := fn.prepare(r)
	delivery := schemas.Delivery{
		AckID: r.AckID, Rows: len(out.events) + len(out.letters), Published: r.Arrived, Watermark: r.Watermark,
	}
	for i := range out.events {
		out.events[i].Delivery = delivery
	}
	for i := range out.letters {
		out.letters[i].Delivery = delivery
	}
	fn.emitter(ctx, emit, dead)(out)
}
