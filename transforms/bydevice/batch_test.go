package bydevice

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/sessionize"
)

func init() {
	register.Function1x1(eventSession)
	register.Function1x1(duplicateKey)
	register.Function1x1(botKey)
	register.Function1x1(sessionKey)
}

func TestMain(m *testing.M) { ptest.Main(m) }

func eventSession(e schemas.Event) string { return e.EventID + "@" + e.SessionID }
func botKey(b schemas.BotEvent) string    { return b.BotRule + ":" + b.DeviceID }
func duplicateKey(e schemas.Event) string {
	return e.EventID + "+" + e.ReceivedAt.Sub(e.EventTime).String()
}
func sessionKey(r schemas.Session) string {
	return fmt.Sprintf("%s:%s:%d", r.DeviceID, r.SessionID, r.EventCount)
}

// session is the id of the session that starts with e.
func session(e schemas.Event) string {
	return sessionize.SessionID(e.DeviceID, e.EventTime.UnixMicro(), e.EventID)
}
func at(min, sec int) time.Time { return time.Date(2026, 11, 1, 10, min, sec, 0, time.UTC) }
func event(device, id string, t time.Time, received time.Duration) schemas.Event {
	return schemas.Event{DeviceID: device, EventID: id, EventTime: t, EventDate: schemas.DateOf(t), ReceivedAt: t.Add(received)}
}

// TestBatch: per device, duplicates are removed (the earliest received copy
// survives), a device over the rate limit becomes a bot, and the remaining
// events form sessions and carry their session_id; with the batches encoded
// on the bundle's goroutine and on a pool, in one round and in three.
func TestBatch(t *testing.T) {
	for _, workers := range []int{0, 2} {
		for _, rounds := range []int{1, 3} {
			t.Run(fmt.Sprintf("workers=%d/rounds=%d", workers, rounds), func(t *testing.T) { testBatch(t, workers, rounds) })
		}
	}
}

func testBatch(t *testing.T, workers, rounds int) {
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
	out := Batch(s, beam.CreateList(s, in), BatchOptions{Shards: 3, RateLimit: 4, RateWindow: time.Minute, Workers: workers, Rounds: rounds})
	if len(out) != rounds {
		t.Fatalf("Batch returned %d rounds, want %d", len(out), rounds)
	}
	var kept, duplicates, bots, sessions []beam.PCollection
	for _, r := range out {
		kept, duplicates = append(kept, r.Kept), append(duplicates, r.Duplicates)
		bots, sessions = append(bots, r.Bots), append(sessions, r.Sessions)
	}
	passert.Equals(s, beam.ParDo(s, eventSession, beam.Flatten(s, kept...)), "h1@"+session(in[0]), "h2@"+session(in[0]))
	passert.Equals(s, beam.ParDo(s, duplicateKey, beam.Flatten(s, duplicates...)), "h1+1m0s")
	passert.Equals(s, beam.ParDo(s, botKey, beam.Flatten(s, bots...)), "user_agent:ua-bot",
		"rate:scripted", "rate:scripted", "rate:scripted", "rate:scripted", "rate:scripted")
	passert.Equals(s, beam.ParDo(s, sessionKey, beam.Flatten(s, sessions...)), "human:"+session(in[0])+":2")
	ptest.RunAndValidate(t, p)
}

// TestRoundsWait: round r's grouping waits for round r-Workers, and for no
// later round, so that Workers rounds run at a time. It reads the
// dependency from the graph: a runner may not start a grouping before every
// grouping upstream of it has ended.
func TestRoundsWait(t *testing.T) {
	const rounds, workers = 5, 2
	p, s := beam.NewPipelineWithRoot()
	Batch(s, beam.CreateList(s, []schemas.Event{event("d", "e", at(0, 0), 0)}),
		BatchOptions{Shards: 8, Workers: workers, Rounds: rounds})
	edges, _, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	producer := map[*graph.Node]*graph.MultiEdge{}
	var groupings []*graph.MultiEdge
	for _, e := range edges {
		for _, out := range e.Output {
			producer[out.To] = e
		}
		if e.Op == graph.CoGBK {
			groupings = append(groupings, e)
		}
	}
	round := func(e *graph.MultiEdge) string { return e.Scope().Label }
	// upstream are the rounds of the groupings upstream of e.
	upstream := func(e *graph.MultiEdge) []string {
		var found []string
		seen := map[*graph.MultiEdge]bool{}
		var walk func(*graph.MultiEdge)
		walk = func(e *graph.MultiEdge) {
			for _, in := range e.Input {
				from := producer[in.From]
				if from == nil || seen[from] {
					continue
				}
				seen[from] = true
				if from.Op == graph.CoGBK {
					found = append(found, round(from))
				}
				walk(from)
			}
		}
		walk(e)
		slices.Sort(found)
		return found
	}
	if len(groupings) != rounds {
		t.Fatalf("%d groupings, want one per round (%d)", len(groupings), rounds)
	}
	want := map[string][]string{"round0": nil, "round1": nil, "round2": {"round0"}, "round3": {"round1"}, "round4": {"round0", "round2"}}
	for _, g := range groupings {
		if got := upstream(g); !slices.Equal(got, want[round(g)]) {
			t.Errorf("%s waits for %q, want %q", round(g), got, want[round(g)])
		}
	}
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
