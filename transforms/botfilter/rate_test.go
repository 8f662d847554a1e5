package botfilter

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

var day1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// burst returns n events of one device, the i-th at start + i*step.
func burst(prefix string, start time.Time, n int, step time.Duration) []schemas.Event {
	out := make([]schemas.Event, n)
	for i := range out {
		t := start.Add(time.Duration(i) * step)
		out[i] = schemas.Event{
			EventID: fmt.Sprintf("%s-%d", prefix, i), DeviceID: "d1",
			EventTime: t, EventDate: schemas.DateOf(t),
		}
	}
	return out
}

func concat(parts ...[]schemas.Event) []schemas.Event {
	var out []schemas.Event
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestMarkRate(t *testing.T) {
	at := func(h, m, s int) time.Time {
		return day1.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	tests := []struct {
		name   string
		events []schemas.Event
		limit  int
		window time.Duration
		// wantBot lists the EventID prefixes whose events must be marked.
		wantBot    map[string]bool
		wantDetail map[string]string // per prefix, when marked
	}{
		{
			name:   "exactly limit events in the window: not a bot",
			events: burst("a", at(10, 0, 0), 5, time.Second),
			limit:  5, window: time.Minute,
			wantBot: map[string]bool{},
		},
		{
			name:   "limit+1 events in the window: bot",
			events: burst("a", at(10, 0, 3), 6, time.Second),
			limit:  5, window: time.Minute,
			wantBot: map[string]bool{"a": true},
			wantDetail: map[string]string{
				"a": "6 events in 60s from 2026-11-01T10:00:03Z",
			},
		},
		{
			name: "half-open interval: an event exactly window later is outside",
			// 5 events at 10:00:00, the 6th at 10:01:00 = t + window.
			events: concat(burst("a", at(10, 0, 0), 5, 0), burst("b", at(10, 1, 0), 1, 0)),
			limit:  5, window: time.Minute,
			wantBot: map[string]bool{},
		},
		{
			name:   "half-open interval: one nanosecond earlier is inside",
			events: concat(burst("a", at(10, 0, 0), 5, 0), burst("b", at(10, 1, 0).Add(-time.Nanosecond), 1, 0)),
			limit:  5, window: time.Minute,
			wantBot: map[string]bool{"a": true, "b": true},
			wantDetail: map[string]string{
				"a": "6 events in 60s from 2026-11-01T10:00:00Z",
			},
		},
		{
			name: "the whole day is marked, also events far from the burst",
			events: concat(burst("early", at(1, 0, 0), 2, time.Hour),
				burst("burst", at(12, 0, 0), 10, 100*time.Millisecond),
				burst("late", at(23, 59, 59), 1, 0)),
			limit: 5, window: time.Second,
			wantBot: map[string]bool{"early": true, "burst": true, "late": true},
			wantDetail: map[string]string{
				"burst": "10 events in 1s from 2026-11-01T12:00:00Z",
			},
		},
		{
			name: "bursts on two days are judged per day",
			events: concat(burst("d1", at(10, 0, 0), 6, time.Second),
				burst("d2calm", at(24+10, 0, 0), 3, time.Second),
				burst("d3", at(48+8, 0, 0), 7, time.Second)),
			limit: 5, window: time.Minute,
			wantBot: map[string]bool{"d1": true, "d3": true},
			wantDetail: map[string]string{
				"d1": "6 events in 60s from 2026-11-01T10:00:00Z",
				"d3": "7 events in 60s from 2026-11-03T08:00:00Z",
			},
		},
		{
			name: "a window does not span midnight",
			// 4 events before and 4 after midnight within 8 seconds.
			events: concat(burst("before", at(23, 59, 56), 4, time.Second), burst("after", at(24, 0, 0), 4, time.Second)),
			limit:  5, window: time.Minute,
			wantBot: map[string]bool{},
		},
		{
			name: "events already marked keep their rule",
			events: func() []schemas.Event {
				ev := burst("a", at(10, 0, 0), 6, time.Second)
				ev[0].BotRule, ev[0].BotDetail = schemas.BotRuleUserAgent, "crawler-user-agents: bingbot"
				return ev
			}(),
			limit: 5, window: time.Minute,
			wantBot: map[string]bool{"a": true},
		},
		{
			name:    "defaults: 201 events in 60 s",
			events:  burst("a", at(10, 0, 0), 201, 250*time.Millisecond),
			wantBot: map[string]bool{"a": true},
			wantDetail: map[string]string{
				"a": "201 events in 60s from 2026-11-01T10:00:00Z",
			},
		},
		{
			name:    "defaults: 200 events in 60 s",
			events:  burst("a", at(10, 0, 0), 200, 250*time.Millisecond),
			wantBot: map[string]bool{},
		},
		{
			name:   "fractional window and start time",
			events: burst("a", at(10, 0, 0).Add(120*time.Millisecond), 3, 100*time.Millisecond),
			limit:  2, window: 500 * time.Millisecond,
			wantBot: map[string]bool{"a": true},
			wantDetail: map[string]string{
				"a": "3 events in 0.5s from 2026-11-01T10:00:00.12Z",
			},
		},
		{
			name:    "no events",
			wantBot: map[string]bool{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := append([]schemas.Event(nil), tt.events...)
			// Any order: shuffle, and check the order is kept.
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
			ids := make([]string, len(events))
			for i, e := range events {
				ids[i] = e.EventID
			}
			marked := MarkRate(events, tt.limit, tt.window)
			wantMarked := 0
			for i, e := range events {
				if e.EventID != ids[i] {
					t.Fatalf("order changed at %d", i)
				}
				prefix := e.EventID[:strings.LastIndex(e.EventID, "-")]
				orig := findEvent(tt.events, e.EventID)
				switch {
				case orig.BotRule != "":
					if e.BotRule != orig.BotRule || e.BotDetail != orig.BotDetail {
						t.Errorf("%s: rule changed to %s %q", e.EventID, e.BotRule, e.BotDetail)
					}
				case tt.wantBot[prefix]:
					wantMarked++
					if e.BotRule != schemas.BotRuleRate {
						t.Errorf("%s: BotRule = %q, want rate", e.EventID, e.BotRule)
					}
					if want, ok := tt.wantDetail[prefix]; ok && e.BotDetail != want {
						t.Errorf("%s: BotDetail = %q, want %q", e.EventID, e.BotDetail, want)
					}
				default:
					if e.BotRule != "" {
						t.Errorf("%s: marked %s %q, want unmarked", e.EventID, e.BotRule, e.BotDetail)
					}
				}
			}
			if marked != wantMarked {
				t.Errorf("MarkRate returned %d, want %d", marked, wantMarked)
			}
		})
	}
}

func findEvent(events []schemas.Event, id string) schemas.Event {
	for _, e := range events {
		if e.EventID == id {
			return e
		}
	}
	return schemas.Event{}
}

func BenchmarkMarkRate(b *testing.B) {
	events := burst("a", day1, 10_000, 500*time.Millisecond)
	work := make([]schemas.Event, len(events))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, events)
		MarkRate(work, DefaultRateLimit, DefaultRateWindow)
	}
}

// TestAddRecent checks the sliding-window rate rule against MarkRate's
// definition: more than limit events in one half-open interval [u, u+window).
func TestAddRecent(t *testing.T) {
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	var recent []int64
	var detail string
	for i, offset := range []time.Duration{0, 20 * time.Second, 40 * time.Second} {
		if recent, detail = AddRecent(recent, base.Add(offset), 3, time.Minute); detail != "" {
			t.Fatalf("event %d: flagged too early: %s", i, detail)
		}
	}
	// 60 s after the first: [0, 60s) holds 3, [20s, 80s) holds 3 with it.
	if recent, detail = AddRecent(recent, base.Add(time.Minute), 3, time.Minute); detail != "" {
		t.Fatalf("interval is half-open, got %s", detail)
	}
	if len(recent) != 3 {
		t.Fatalf("recent = %v, want the first time dropped", recent)
	}
	// An out-of-order event at 30 s: [20s, 80s) now holds 4.
	_, detail = AddRecent(recent, base.Add(30*time.Second), 3, time.Minute)
	if want := "4 events in 60s from 2026-11-01T10:00:20Z"; detail != want {
		t.Fatalf("detail = %q, want %q", detail, want)
	}
}
