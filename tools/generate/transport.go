package generate

import (
	"math"
)

// line is one line the collector writes: one event, or a beacon of a
// device's consecutive events g.events[evFirst : evFirst+evN].
type line struct {
	recv    int64 // collector clock when received: true send time + latency
	send    int64 // true send time; the device writes send + skew as sent_at
	seq     int32 // creation order, ties the sort by received time
	dev     int32
	evFirst int32
	evN     int32
	beacon  bool
	hasSent bool
	exact   bool // the collector wrote the line before this one twice
	mut     mutation
	mutIdx  int16 // element the mutation applies to (bad_event: where the junk goes)
	mutVar  uint8
	file    int32
	lineNo  int32
}

// transport turns every device's events into collector lines: single
// events or beacons, retries, and late flushes of devices that were offline.
func (g *gen) transport() {
	for di := range g.devices {
		d := &g.devices[di]
		end := d.visFirst + d.visN
		for vi := d.visFirst; vi < end; {
			v := g.visits[vi]
			if v.flushAt == 0 {
				g.sendOnline(d, int32(di), v.first, v.first+v.n)
				vi++
				continue
			}
			// Visits while the device was offline queue up and go out
			// together when it reconnects.
			last := v.first + v.n
			vi++
			for vi < end && g.visits[vi].flushAt == v.flushAt {
				last = g.visits[vi].first + g.visits[vi].n
				vi++
			}
			g.sendOffline(int32(di), v.first, last, v.flushAt)
		}
	}
}

func (g *gen) sendOnline(d *device, di, first, last int32) {
	switch d.sdk {
	case sdkPixel:
		for i := first; i < last; i++ {
			g.send(di, i, 1, false, false, g.events[i].t)
		}
	case sdkTag:
		for i := first; i < last; i++ {
			g.send(di, i, 1, false, true, g.events[i].t+g.uniform(0, 40))
		}
	case sdkBatch:
		maxN, maxWait := int32(10), 5*msSecond
		if d.form.app() {
			maxN, maxWait = 20, 20*msSecond
		}
		var bufFirst, bufN int32
		var bufStart int64
		for i := first; i < last; i++ {
			t := g.events[i].t
			if bufN > 0 && t > bufStart+maxWait {
				g.send(di, bufFirst, bufN, true, true, bufStart+maxWait+g.uniform(0, 200))
				bufN = 0
			}
			if bufN == 0 {
				bufFirst, bufStart = i, t
			}
			bufN++
			if bufN == maxN {
				g.send(di, bufFirst, bufN, true, true, t+g.uniform(5, 100))
				bufN = 0
			}
		}
		if bufN > 0 {
			// Page hide or app background flushes the rest.
			g.send(di, bufFirst, bufN, true, true, g.events[last-1].t+g.uniform(100, 2000))
		}
	}
}

func (g *gen) sendOffline(di, first, last int32, flushAt int64) {
	at := max(flushAt, g.events[last-1].t+g.uniform(5*msSecond, 60*msSecond))
	for i := first; i < last; i += 25 {
		g.send(di, i, min(25, last-i), true, true, at)
		at += g.uniform(150, 900)
	}
}

// latency is the network time from device to collector: 50-800 ms.
func (g *gen) latency() int64 {
	x := 50 + math.Exp(math.Log(70)+g.rng.NormFloat64()*0.8)
	return min(max(int64(x), 50), 800)
}

// retryDelay is how long a tracker waits before resending an unacknowledged
// send: 1 s to 10 min.
func (g *gen) retryDelay() int64 {
	switch r := g.rng.Float64(); {
	case r < 0.6:
		return g.uniform(msSecond, 10*msSecond)
	case r < 0.9:
		return g.uniform(10*msSecond, 2*msMinute)
	default:
		return g.uniform(2*msMinute, 10*msMinute)
	}
}

// send writes a line sent at the true time at, and the retries of it: same
// events, sent_at restamped at each resend, received later.
func (g *gen) send(di, first, n int32, beacon, hasSent bool, at int64) {
	ln := line{recv: at + g.latency(), send: at, seq: int32(len(g.lines)), dev: di, evFirst: first, evN: n, beacon: beacon, hasSent: hasSent}
	g.lines = append(g.lines, ln)
	if !hasSent || g.rng.Float64() >= g.cfg.DupRate {
		return
	}
	for k := 0; k == 0 || (k < 3 && g.rng.Float64() < 0.15); k++ {
		at += g.retryDelay()
		r := ln
		r.send, r.recv, r.seq = at, at+g.latency(), int32(len(g.lines))
		g.lines = append(g.lines, r)
	}
}

// doubleWrites makes the collector write some lines twice, byte for byte.
func (g *gen) doubleWrites() {
	p := g.cfg.DupRate / 10
	for i, n := 0, len(g.lines); i < n; i++ {
		if g.rng.Float64() < p {
			c := g.lines[i]
			c.exact = true
			g.lines = append(g.lines, c)
		}
	}
}
