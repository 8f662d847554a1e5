package generate

import (
	"net/netip"
	"testing"
)

// TestWorldInvariants checks the simulated world before it is written: the
// timing rules the ground truth relies on.
func TestWorldInvariants(t *testing.T) {
	for _, days := range []int{1, 3} {
		cfg := testConfig(t.TempDir())
		cfg.Days = days
		g := newGen(cfg)
		g.build()
		checkTiming(t, g)
		checkTransport(t, g)
	}
}

func checkTiming(t *testing.T, g *gen) {
	t.Helper()
	var deny []netip.Prefix
	for _, c := range denyList {
		deny = append(deny, netip.MustParsePrefix(c))
	}
	kiosks, bursts := 0, 0
	for di := range g.devices {
		d := &g.devices[di]
		evs := g.events[d.evFirst : d.evFirst+d.evN]
		for i, e := range evs {
			if i > 0 && e.t <= evs[i-1].t {
				t.Fatalf("device %s: events out of order", d.id)
			}
			if e.t%msDay >= msDay-2*msSecond {
				t.Errorf("device %s: event at %s, within 2 s of midnight", d.id, dateTime(e.t))
			}
			// No two events 30 min or 24 h apart to within a second.
			for _, w := range []int64{30 * msMinute, msDay} {
				if near(timesOf(evs[:i]), e.t-w) {
					t.Errorf("device %s: event %s is %d ms from another", d.id, dateTime(e.t), w)
				}
			}
			if isDenied := denied(deny, e.ip); isDenied != (d.kind == kindIPBot) {
				t.Errorf("device %s (kind %d): ip %s denied=%v", d.id, d.kind, e.ip, isDenied)
			}
		}
		if isBotUA(d.ua) != (d.kind == kindUABot) {
			t.Errorf("device %s (kind %d): user agent %q", d.id, d.kind, d.ua)
		}
		// Visits: gaps inside < 29 min, between > 31 min.
		var prevEnd int64
		for vi := d.visFirst; vi < d.visFirst+d.visN; vi++ {
			v := g.visits[vi]
			if vi > d.visFirst && g.events[v.first].t-prevEnd <= 31*msMinute {
				t.Errorf("device %s: visits %d ms apart", d.id, g.events[v.first].t-prevEnd)
			}
			for i := v.first + 1; i < v.first+v.n; i++ {
				if gap := g.events[i].t - g.events[i-1].t; gap >= 29*msMinute {
					t.Errorf("device %s: %d ms gap inside a visit", d.id, gap)
				}
			}
			prevEnd = g.events[v.first+v.n-1].t
		}
		// Only rate bots exceed 200 events a minute.
		peak, lo := 0, 0
		for hi := range evs {
			for evs[hi].t-evs[lo].t >= rateWindow {
				lo++
			}
			peak = max(peak, hi-lo+1)
		}
		if (peak > rateLimit) != (d.kind == kindRateBot) {
			t.Errorf("device %s (kind %d): %d events in a minute", d.id, d.kind, peak)
		}
		if d.kind == kindRateBot {
			bursts++
		}
		if d.kind == kindKiosk {
			kiosks++
			if span := evs[len(evs)-1].t - evs[0].t; span < 30*msHour {
				t.Errorf("kiosk %s active for %d h only", d.id, span/msHour)
			}
		}
	}
	if kiosks == 0 || bursts < 2 {
		t.Errorf("%d kiosks, %d rate bots", kiosks, bursts)
	}
}

func checkTransport(t *testing.T, g *gen) {
	t.Helper()
	late := 0
	for _, ln := range g.lines {
		first, last := g.events[ln.evFirst], g.events[ln.evFirst+ln.evN-1]
		if ln.send < last.t {
			t.Fatalf("line sent at %s before its last event at %s", dateTime(ln.send), dateTime(last.t))
		}
		if lat := ln.recv - ln.send; lat < 50 || lat > 800 {
			t.Errorf("latency %d ms", lat)
		}
		if !ln.hasSent && ln.send != first.t {
			t.Errorf("a line without sent_at not sent at once")
		}
		if ln.send-first.t > msHour {
			late++
		}
	}
	if late == 0 {
		t.Error("no late deliveries")
	}
}

func timesOf(evs []event) []int64 {
	ts := make([]int64, len(evs))
	for i, e := range evs {
		ts[i] = e.t
	}
	return ts
}

func dateTime(ms int64) string { return string(appendUTC(nil, ms)) }
