package pubsub_test

import (
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/example/clickstream/io/pubsub"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(writeRecord)
}

// writeRecord stands for the pipeline between the reader and its sinks: it
// "writes" one row per record and reports it.
func writeRecord(r schemas.Record) schemas.Delivery {
	d := r.DeliveryOf()
	d.Rows = 1
	return d
}

// A local streaming run: read for ten minutes, acknowledge every message
// once its row is written.
func Example() {
	o := pubsub.ReadOptions{
		Project:            "my-project",
		Subscription:       "clickstream-events",
		TimestampAttribute: "event_time",
		MaxDuration:        10 * time.Minute,
	}
	p, s := beam.NewPipelineWithRoot()
	records := pubsub.Read(s, o)
	delivered := beam.ParDo(s, writeRecord, records)
	pubsub.Acknowledge(s, o, delivered)
	_ = beamx.Run // beamx.Run(ctx, p) runs it on Prism.
	_ = p
}
