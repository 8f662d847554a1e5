package pipelines

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"

	"github.com/example/clickstream/io/pubsubsink"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/abandonment"
	"github.com/example/clickstream/transforms/anomalies"
	"github.com/example/clickstream/transforms/livefunnel"
	"github.com/example/clickstream/transforms/liveproducts"
	"github.com/example/clickstream/transforms/livesearch"
	"github.com/example/clickstream/transforms/livewindow"
)

// liveTable is one live-analytics table of the streaming mode and its rows,
// and the topic they are also published to ("" for none) with the row's
// field that ids the messages.
type liveTable struct {
	name  string
	rows  beam.PCollection
	topic string
	idKey string
}

// liveTables builds the live-analytics branches over the accepted events
// (deduplicated, bots removed), each in a top-level scope named for its
// table so that Dataflow can match it on update. Adding a live table is one
// entry here.
func liveTables(s beam.Scope, c Config, kept beam.PCollection) []liveTable {
	return []liveTable{
		{"live_funnel_10m", livefunnel.Funnel(s.Scope("live_funnel"), kept, livewindow.Options{EarlyEvery: c.LiveEarlyEvery}), "", ""},
		{"live_products_1h", liveproducts.Products(s.Scope("live_products"), kept, livewindow.Options{EarlyEvery: c.LiveEarlyEvery}), "", ""},
		{"live_search_1h", livesearch.Searches(s.Scope("live_search"), kept, livewindow.Options{EarlyEvery: c.LiveEarlyEvery}), "", ""},
		{"cart_abandonment", abandonment.Detect(s.Scope("cart_abandonment"), kept, abandonment.Options{After: c.AbandonAfter}), c.AbandonmentTopic, "trigger_id"},
		{"live_anomalies", anomalies.Detect(s.Scope("live_anomalies"), kept, anomalies.Options{}), c.AnomalyTopic, "anomaly_id"},
	}
}

// liveWrites are what writing the live tables gives back, each in the
// global window.
type liveWrites struct {
	// refused are the rows the sink refused, for the derived fallbacks:
	// like sessions, live rows stand for no record and no message.
	refused []beam.PCollection
	// written are the sink's written deliveries. Live rows carry none, so
	// these are empty; they join the acknowledgement all the same, because
	// on Prism a stage none of whose outputs is consumed busy-waits a core
	// for as long as each of its bundles runs (README, Performance).
	written []beam.PCollection
	// published count, as schemas.Tally keyed by table, the messages
	// published to each table's topic.
	published []beam.PCollection
}

// writeLive writes each live table through the sink and publishes the rows
// of those with a topic.
func writeLive(s beam.Scope, c Config, k sink, live []liveTable) liveWrites {
	var w liveWrites
	for _, t := range live {
		if t.topic != "" {
			n := pubsubsink.Publish(s.Scope("publish_"+t.name), t.rows, pubsubsink.Options{Project: c.PubSub.Project, Topic: t.topic, IDField: t.idKey})
			w.published = append(w.published, beam.ParDo(s.Scope("published_"+t.name), &publishedFn{Table: t.name}, n))
		}
		written, refused := k.write(s, t.name, t.rows)
		w.written = append(w.written, beam.WindowInto(s.Scope("written_"+t.name), window.NewGlobalWindows(), written))
		w.refused = append(w.refused, beam.WindowInto(s.Scope("refused_"+t.name), window.NewGlobalWindows(), refused))
	}
	return w
}

// publishedFn turns a count of published messages into the Published tally
// of its table.
type publishedFn struct{ Table string }

func (f *publishedFn) ProcessElement(n int64) schemas.Tally {
	return schemas.Tally{Name: Published, Key: f.Table, N: n}
}
