package botfilter

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/example/clickstream/schemas"
)

// Defaults of the rate rule.
const (
	DefaultRateLimit  = 200
	DefaultRateWindow = 60 * time.Second
)

// MarkRate applies the rate rule to one device's deduplicated events, in any
// order: a UTC day (EventDate) of the device is a bot day when more than
// limit of that day's events have EventTime in one half-open interval
// [t, t+window). Every event of a bot day without a BotRule gets
// BotRule = schemas.BotRuleRate and a BotDetail naming the busiest interval,
// e.g. "241 events in 60s from 2026-11-01T10:00:03Z" (the earliest one if
// several tie). It returns how many events it marked.
//
// limit <= 0 means DefaultRateLimit and window <= 0 DefaultRateWindow. The
// events are updated in place; their order is kept. O(n log n).
func MarkRate(events []schemas.Event, limit int, window time.Duration) int {
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	if len(events) <= limit {
		return 0
	}
	// Sort indexes, not the events, by (day, time).
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ea, eb := &events[a], &events[b]
		if c := ea.EventDate.Compare(eb.EventDate); c != 0 {
			return c
		}
		return ea.EventTime.Compare(eb.EventTime)
	})
	marked := 0
	for start := 0; start < len(order); {
		day := events[order[start]].EventDate
		end := start + 1
		for end < len(order) && events[order[end]].EventDate.Equal(day) {
			end++
		}
		if count, from := busiest(events, order[start:end], window); count > limit {
			detail := fmt.Sprintf("%d events in %s from %s", count, formatWindow(window),
				from.UTC().Format(time.RFC3339Nano))
			for _, i := range order[start:end] {
				if events[i].BotRule == "" {
					events[i].BotRule = schemas.BotRuleRate
					events[i].BotDetail = detail
					marked++
				}
			}
		}
		start = end
	}
	return marked
}

// busiest returns the largest number of events (given as indexes sorted by
// EventTime) in a half-open interval [t, t+window), and the earliest t
// reaching it. Such an interval can always start at an event's time, so two
// pointers over the sorted times find it.
func busiest(events []schemas.Event, day []int, window time.Duration) (count int, from time.Time) {
	j := 0
	for i := range day {
		t := events[day[i]].EventTime
		end := t.Add(window)
		if j < i {
			j = i
		}
		for j < len(day) && events[day[j]].EventTime.Before(end) {
			j++
		}
		if n := j - i; n > count {
			count, from = n, t
		}
	}
	return count, from
}

// formatWindow writes a window in seconds ("60s", "0.5s"), the unit the rule
// is stated in, rather than Duration's "1m0s".
func formatWindow(w time.Duration) string {
	return strconv.FormatFloat(w.Seconds(), 'f', -1, 64) + "s"
}
