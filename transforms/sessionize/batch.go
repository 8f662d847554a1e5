package sessionize

import (
	"slices"

	"github.com/example/clickstream/schemas"
)

// Batch is the batch execution: it sessionizes events held in memory,
// normally one device's deduplicated non-bot events, and returns the session
// rows ordered by device then start. It sets each event's SessionID to the id
// of the row it belongs to (after runaway splitting) and leaves the events in
// their order. Events of several devices are sessionized per device.
//
// It builds rows through the same Accumulator as Streaming, so both
// executions give identical rows (Version is 1). It panics on options that
// Options.Validate rejects.
func Batch(events []schemas.Event, o Options) []schemas.Session {
	o = mustOptions(o)
	if len(events) == 0 {
		return nil
	}
	if !slices.ContainsFunc(events, func(e schemas.Event) bool { return e.DeviceID != events[0].DeviceID }) {
		return sessionizeDevice(events, nil, o, nil)
	}
	byDevice := map[string][]int{}
	for i := range events {
		byDevice[events[i].DeviceID] = append(byDevice[events[i].DeviceID], i)
	}
	devices := make([]string, 0, len(byDevice))
	for d := range byDevice {
		devices = append(devices, d)
	}
	slices.Sort(devices)
	var rows []schemas.Session
	for _, d := range devices {
		rows = sessionizeDevice(events, byDevice[d], o, rows)
	}
	return rows
}

// sessionizeDevice sessionizes events[idx] (all of events when idx is nil), which
// are of one device, and appends the rows to rows.
func sessionizeDevice(events []schemas.Event, idx []int, o Options, rows []schemas.Session) []schemas.Session {
	var acc Accumulator
	if idx == nil {
		acc.Hits = make([]Hit, 0, len(events))
		for i := range events {
			acc.Add(events[i])
		}
	} else {
		acc.Hits = make([]Hit, 0, len(idx))
		for _, i := range idx {
			acc.Add(events[i])
		}
	}
	built, rowOf := acc.build(o)
	for h, r := range rowOf {
		i := h
		if idx != nil {
			i = idx[h]
		}
		events[i].SessionID = built[r].SessionID
	}
	return append(rows, built...)
}
