package enrich

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn2x1[context.Context, schemas.Event, schemas.Event](&enrichFn{})
}

var (
	enriched  = beam.NewCounter("enrich", "enriched")
	ipDropped = beam.NewCounter("enrich", "ip_not_an_address")
)

// Enrich derives the page, campaign, traffic source, referrer, device and
// geo fields of events, a PCollection<schemas.Event>, cuts the URLs to
// MaxURLBytes and replaces the raw IP address (see the package
// documentation). It returns the enriched PCollection<schemas.Event>, one
// event per input event. It panics on invalid options; a hash key or a geo
// database that cannot be loaded fails the workers' setup.
func Enrich(s beam.Scope, events beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("enrich.Enrich")
	if err := opts.validate(); err != nil {
		panic(err)
	}
	return beam.ParDo(s, &enrichFn{
		InternalDomains: opts.InternalDomains,
		IPMode:          opts.IPMode,
		HashKeyRef:      opts.HashKeyRef,
		UACacheSize:     opts.UACacheSize,
		GeoDB:           opts.GeoDB,
	}, events)
}

// enrichFn runs an Enricher; its fields are Options.
type enrichFn struct {
	InternalDomains []string
	IPMode          string
	HashKeyRef      string
	UACacheSize     int
	GeoDB           string

	enricher *Enricher
}

func (f *enrichFn) Setup(ctx context.Context) error {
	en, err := newEnricher(ctx, Options{
		InternalDomains: f.InternalDomains,
		IPMode:          f.IPMode,
		HashKeyRef:      f.HashKeyRef,
		UACacheSize:     f.UACacheSize,
		GeoDB:           f.GeoDB,
	})
	if err != nil {
		return err
	}
	f.enricher = en
	return nil
}

func (f *enrichFn) ProcessElement(ctx context.Context, e schemas.Event) schemas.Event {
	if f.enricher.Apply(&e) {
		ipDropped.Inc(ctx, 1)
	}
	enriched.Inc(ctx, 1)
	return e
}
