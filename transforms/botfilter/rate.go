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

// AddRecent is the rate rule over a sliding window, for streaming, where a
// device's day is never complete. recent holds the Unix-millisecond event
// times of the device's current UTC day less than window before the
// newest, sorted; AddRecent inserts t, drops what slid out, and returns the
// new list with, when an interval [u, u+window) containing t now holds more
// than limit events, the detail the batch rule would write for it.
//
// Unlike MarkRate it cannot mark the events before the burst (they are
// already written): the caller marks t and the device's later events of the
// same day. An event at least window older than the newest is not counted.
func AddRecent(recent []int64, t time.Time, limit int, window time.Duration) ([]int64, string) {
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	ms, w := t.UnixMilli(), window.Milliseconds()
	i, _ := slices.BinarySearch(recent, ms)
	recent = slices.Insert(recent, i, ms)
	newest := recent[len(recent)-1]
	if cut, _ := slices.BinarySearch(recent, newest-w+1); cut > 0 {
		recent = slices.Delete(recent, 0, cut)
	}
	if len(recent) <= limit {
		return recent, ""
	}
	// Intervals containing t start in (t-window, t]; two pointers over them.
	lo, _ := slices.BinarySearch(recent, ms-w+1)
	j := lo
	for k := lo; k < len(recent) && recent[k] <= ms; k++ {
		for j < len(recent) && recent[j] < recent[k]+w {
			j++
		}
		if n := j - k; n > limit {
			return recent, fmt.Sprintf("%d events in %s from %s", n, formatWindow(window),
				time.UnixMilli(recent[k]).UTC().Format(time.RFC3339Nano))
		}
	}
	return recent, ""
}
