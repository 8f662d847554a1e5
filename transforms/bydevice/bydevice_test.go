package bydevice

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

func init() {
	register.Function1x1(eventID)
	register.Function1x1(botKey)
	register.Function1x2(tallyKV)
	register.Function2x1(formatTotal)
}

func TestMain(m *testing.M) { ptest.Main(m) }

func eventID(e schemas.Event) string         { return e.EventID }
func botKey(b schemas.BotEvent) string       { return b.BotRule + ":" + b.DeviceID }
func tallyKV(t tally.Tally) (string, int64)  { return t.Name + "/" + t.Key, t.N }
func formatTotal(key string, n int64) string { return fmt.Sprintf("%s=%d", key, n) }
func at(min, sec int) time.Time              { return time.Date(2026, 11, 1, 10, min, sec, 0, time.UTC) }
func event(device, id string, t time.Time, received time.Duration) schemas.Event {
	return schemas.Event{DeviceID: device, EventID: id, EventTime: t, EventDate: schemas.DateOf(t), ReceivedAt: t.Add(received)}
}

// TestApply: per device, duplicates are removed (the earliest received copy
// survives), a device over the rate limit becomes a bot, and every outcome
// is counted.
func TestApply(t *testing.T) {
	in := []schemas.Event{
		event("human", "h1", at(0, 0), time.Second),
		event("human", "h1", at(0, 0), time.Minute), // retry
		event("human", "h2", at(5, 0), time.Second),
		event("ua-bot", "u1", at(0, 0), 0),
	}
	in[3].BotRule = schemas.BotRuleUserAgent
	for i := range 5 { // 5 events in 60 s: over a limit of 4
		in = append(in, event("scripted", fmt.Sprintf("s%d", i), at(1, i*10), 0))
	}
	p, s := beam.NewPipelineWithRoot()
	kept, bots, tallies := Apply(s, beam.CreateList(s, in), Options{Shards: 3, RateLimit: 4, RateWindow: time.Minute})
	passert.Equals(s, beam.ParDo(s, eventID, kept), "h1", "h2")
	passert.Equals(s, beam.ParDo(s, botKey, bots), "user_agent:ua-bot",
		"rate:scripted", "rate:scripted", "rate:scripted", "rate:scripted", "rate:scripted")
	totals := stats.SumPerKey(s, beam.ParDo(s, tallyKV, tallies))
	passert.Equals(s, beam.ParDo(s, formatTotal, totals), "events/=2", "duplicates/=1", "bots/user_agent=1", "bots/rate=5")
	ptest.RunAndValidate(t, p)
}

func TestShard(t *testing.T) {
	seen := map[int]bool{}
	for i := range 1000 {
		sh := Shard(fmt.Sprintf("device-%d", i), 8)
		if sh < 0 || sh >= 8 {
			t.Fatalf("Shard = %d, want [0, 8)", sh)
		}
		if Shard(fmt.Sprintf("device-%d", i), 8) != sh {
			t.Fatal("Shard is not stable")
		}
		seen[sh] = true
	}
	if len(seen) != 8 {
		t.Errorf("1000 devices fell into %d of 8 shards", len(seen))
	}
}
