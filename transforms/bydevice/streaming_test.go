package bydevice

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/eventstream"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(eventID)
	register.Function1x1(botRule)
}

func eventID(e schemas.Event) string    { return e.DeviceID + "/" + e.EventID }
func botRule(b schemas.BotEvent) string { return b.DeviceID + "/" + b.EventID + ":" + b.BotRule }

// TestStreaming feeds Streaming a test stream: copies are duplicates, also one
// arriving hours later within the horizon; the rate rule flags the burst and
// the rest of that day but not the next day; a user-agent bot stays a bot.
// (When a device's state expires relative to its late copies depends on the
// order in which the runner fires timers and processes elements, which Beam
// leaves open: not asserted.)
func TestStreaming(t *testing.T) {
	uaBot := event("c", "c1", at(0, 0), 0)
	uaBot.BotRule = schemas.BotRuleUserAgent
	p, s := beam.NewPipelineWithRoot()
	events := eventstream.Create(t, s,
		eventstream.Step{Add: []schemas.Event{event("a", "a1", at(0, 0), 0), event("a", "a2", at(1, 0), 0),
			event("a", "a1", at(0, 0), time.Minute), event("b", "b1", at(0, 0), 0), event("b", "b2", at(0, 10), 0),
			event("b", "b3", at(0, 20), 0), event("b", "b4", at(0, 30), 0), uaBot}},
		// An hour later: a copy of a2 is still recognized; b's burst day is
		// still flagged.
		eventstream.Step{Watermark: at(0, 0).Add(time.Hour)},
		eventstream.Step{Add: []schemas.Event{event("a", "a2", at(1, 0), time.Hour), event("b", "b5", at(0, 0).Add(time.Hour), 0),
			event("b", "b6", at(0, 0).Add(26*time.Hour), 0)}})
	kept, duplicates, bots := Streaming(s, events, StreamingOptions{
		DedupHorizon: 2 * time.Hour, RateLimit: 3, RateWindow: time.Minute, ExpireState: true,
	})
	passert.Equals(s, beam.ParDo(s, eventID, kept), "a/a1", "a/a2", "b/b1", "b/b2", "b/b3", "b/b6")
	passert.Equals(s, beam.ParDo(s, eventID, duplicates), "a/a1", "a/a2")
	passert.Equals(s, beam.ParDo(s, botRule, bots), "b/b4:rate", "b/b5:rate", "c/c1:user_agent")
	ptest.RunAndValidate(t, p)
}
