package pubsubsource

import (
	"context"

	pbv1 "cloud.google.com/go/pubsub/apiv1/pubsubpb" //nolint:staticcheck // see pubsubioMessage
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/pubsubio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

// pubsubioMessage is the element type of pubsubio.Read: the deprecated v1
// module's message, which Beam v2.77 still uses.
type pubsubioMessage = pbv1.PubsubMessage //nolint:staticcheck // Beam's type, not ours to change

func init() {
	register.DoFn3x0[context.Context, *pubsubioMessage, func(schemas.Record)](&nativeFn{})
	register.Emitter1[schemas.Record]()
}

// readNative reads with Beam's pubsubio, which only Dataflow runs: Dataflow
// timestamps the elements (from the attribute or the publish time) and
// acknowledges on its own checkpoints.
func readNative(s beam.Scope, o ReadOptions) beam.PCollection {
	msgs := pubsubio.Read(s, o.Project, pubsubio.ReadOptions{
		Subscription:       subscriptionID(o.Subscription),
		TimestampAttribute: o.TimestampAttribute,
		WithAttributes:     true,
	})
	return beam.ParDo(s, &nativeFn{Options: o}, msgs)
}

// nativeFn converts pubsubio's messages into records (no AckID, no
// Watermark: Dataflow keeps both to itself).
type nativeFn struct {
	// Options are the read's options, defaults applied.
	Options ReadOptions

	records recordMaker
}

func (fn *nativeFn) Setup() { fn.records = newRecordMaker() }

func (fn *nativeFn) ProcessElement(ctx context.Context, m *pubsubioMessage, emit func(schemas.Record)) {
	r, _ := fn.records.record(ctx, message{Data: m.GetData(), Attributes: m.GetAttributes(), Published: m.GetPublishTime().AsTime()}, fn.Options)
	emit(r)
}
