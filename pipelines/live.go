package pipelines

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"

	"github.com/example/clickstream/io/pubsubsink"
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

// writeLive writes each live table through the sink, publishes the rows of
// those with a topic, and returns the rows the sink refused, in the global
// window, for the derived fallbacks: like sessions, live rows stand for no
// record and no message.
func writeLive(s beam.Scope, c Config, k sink, live []liveTable) []beam.PCollection {
	refused := make([]beam.PCollection, 0, len(live))
	for _, t := range live {
		if t.topic != "" {
			pubsubsink.Publish(s.Scope("publish_"+t.name), t.rows, pubsubsink.Options{Project: c.PubSub.Project, Topic: t.topic, IDField: t.idKey})
		}
		_, r := k.write(s, t.name, t.rows)
		refused = append(refused, beam.WindowInto(s.Scope("refused_"+t.name), window.NewGlobalWindows(), r))
	}
	return refused
}
