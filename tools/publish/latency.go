package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// A replay's event times are not wall-clock times, so a trigger's latency
// cannot be its publish time minus its event time. The publisher therefore
// keeps a clock file (--clock): lines of the wall time at which it had
// published the replay up to an event time. A trigger that fires when
// the event time reaches last_event_time + --abandon_after can fire no
// earlier than the wall time at which the replay reached that event time;
// its latency is its publish time minus that wall time.

// clockTick is a line of the clock file.
type clockTick struct {
	Wall      time.Time `json:"wall"`
	EventTime time.Time `json:"event_time"`
}

// clockWriter writes a tick every clockEvery messages and at Close.
type clockWriter struct {
	f     *os.File
	w     *bufio.Writer
	n     int
	reach time.Time
}

const clockEvery = 100

func newClockWriter(path string) (*clockWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("clock: %w", err)
	}
	return &clockWriter{f: f, w: bufio.NewWriter(f)}, nil
}

// published records a message with event time at, just published.
func (c *clockWriter) published(at time.Time) error {
	if at.After(c.reach) {
		c.reach = at
	}
	if c.n++; c.n%clockEvery != 0 {
		return nil
	}
	return c.tick()
}

func (c *clockWriter) tick() error {
	b, _ := json.Marshal(clockTick{Wall: time.Now().UTC(), EventTime: c.reach}) // times always encode
	_, err := c.w.Write(append(b, '\n'))
	return err
}

// Close writes the last tick (the end of publishing) and the file.
func (c *clockWriter) Close() error {
	err := c.tick()
	if ferr := c.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readClock reads a clock file's ticks, in the order written.
func readClock(path string) ([]clockTick, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("clock: %w", err)
	}
	defer func() { _ = f.Close() }() // a read: errors surface in Scan
	var ticks []clockTick
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var t clockTick
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("clock %s: %w", path, err)
		}
		ticks = append(ticks, t)
	}
	return ticks, sc.Err()
}

// triggerLatencies holds the latencies of the first message of each
// abandonment trigger: onTime those whose quiet period the replay reached
// while publishing, atEnd (from the end of publishing) those it never
// reached, fired by the end-of-stream flush.
type triggerLatencies struct {
	onTime, atEnd []time.Duration
}

// add records a message of the abandonment topic, published at publish; it
// ignores recoveries and the trigger ids already seen.
func (l *triggerLatencies) add(ticks []clockTick, after time.Duration, data []byte, publish time.Time, seen map[string]bool) {
	var m struct {
		TriggerID     string    `json:"trigger_id"`
		Status        string    `json:"status"`
		LastEventTime time.Time `json:"last_event_time"`
	}
	if json.Unmarshal(data, &m) != nil || m.Status == "recovered" || seen[m.TriggerID] || len(ticks) == 0 {
		return
	}
	seen[m.TriggerID] = true
	due := m.LastEventTime.Add(after)
	i := slices.IndexFunc(ticks, func(t clockTick) bool { return !t.EventTime.Before(due) })
	if i < 0 {
		l.atEnd = append(l.atEnd, publish.Sub(ticks[len(ticks)-1].Wall))
		return
	}
	l.onTime = append(l.onTime, publish.Sub(ticks[i].Wall))
}

// print writes the p50 and p99 of each kind.
func (l *triggerLatencies) print(out io.Writer, after time.Duration) {
	fmt.Fprintf(out, "trigger latency (publish of the trigger - the moment the replay reached last cart event + %v): %s\n", after, percentiles(l.onTime))
	fmt.Fprintf(out, "triggers fired by the end-of-stream flush (from the end of publishing): %s\n", percentiles(l.atEnd))
}

func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	slices.Sort(d)
	at := func(q float64) time.Duration {
		return d[min(len(d)-1, int(q*float64(len(d))))].Round(100 * time.Millisecond)
	}
	return fmt.Sprintf("%d triggers, p50 %v, p99 %v", len(d), at(0.5), at(0.99))
}
