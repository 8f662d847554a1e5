// Devices: identifiers, user agents, clocks and when a device may have its next event.

package generate

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

func (g *gen) newPerson(prefix string, account bool) int32 {
	p := person{id: fmt.Sprintf("%s-%06d", prefix, len(g.persons)+1)}
	if account {
		g.users++
		p.user = fmt.Sprintf("u-%07d", 1000000+g.users*37+g.rng.IntN(37))
	}
	g.persons = append(g.persons, p)
	return int32(len(g.persons) - 1)
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *gen) deviceID(f form) string {
	for {
		var id string
		switch f {
		case formIOSApp:
			id = strings.ToUpper(g.hex(8) + "-" + g.hex(4) + "-4" + g.hex(3) + "-" + "89ab"[g.rng.IntN(4):][:1] + g.hex(3) + "-" + g.hex(12))
		case formAndroidApp:
			id = g.hex(32)
		default:
			id = "d-" + g.hex(12)
		}
		if _, dup := g.ids[id]; !dup {
			g.ids[id] = struct{}{}
			return id
		}
	}
}

var zones = []*time.Location{
	time.FixedZone("", 3600), time.FixedZone("", 3600), time.FixedZone("", 7200),
	time.FixedZone("", -5*3600), time.FixedZone("", 19800), time.FixedZone("", 0),
}

// uaChoice is a user agent and what goes with it (app version or screen).
type uaChoice struct{ ua, extra string }

// uaConcentration sets how often a new device brings a user agent not seen
// before (see userAgent): about uaConcentration*ln(1+n/uaConcentration)
// distinct agents per form among n devices.
const uaConcentration = 600

// userAgent picks a device's user agent the way real traffic spreads over
// them: a few agents (the current Chrome on Windows, the current iPhone
// Safari) are shared by many devices, with a long tail of rare ones. It is a
// Chinese restaurant process: a new agent with probability a/(n+a),
// otherwise the agent of a uniformly chosen earlier device of the same form.
func (g *gen) userAgent(f form) uaChoice {
	rng := g.rng
	pool := g.uaPool[f]
	if n := len(pool); n > 0 && rng.Float64() >= uaConcentration/float64(n+uaConcentration) {
		c := pool[rng.IntN(n)]
		g.uaPool[f] = append(pool, c)
		return c
	}
	var c uaChoice
	switch f {
	case formIOSApp:
		c.ua, c.extra = appUA(rng, true)
	case formAndroidApp:
		c.ua, c.extra = appUA(rng, false)
	case formDesktop:
		c.ua = desktopUA(rng)
		c.extra = oneOf(rng, []string{"1920x1080", "1920x1080", "2560x1440", "1536x864", "1440x900", "1366x768", "1280x720", "3840x2160", "1680x1050"})
	case formMobileWeb:
		c.ua = mobileWebUA(rng, rng.Float64() < 0.2)
		c.extra = oneOf(rng, []string{"390x844", "393x873", "412x915", "360x800", "430x932", "375x812", "414x896", "384x854"})
	case formTablet:
		c.ua = tabletUA(rng)
		c.extra = oneOf(rng, []string{"820x1180", "810x1080", "1024x1366", "800x1280", "1280x800"})
	}
	g.uaPool[f] = append(pool, c)
	return c
}

// newDevice starts a device; its events are the ones appended until
// finishDevice, so a device's events are contiguous in g.events.
func (g *gen) newDevice(k kind, f form) (*device, int32) {
	rng := g.rng
	d := device{kind: k, form: f, id: g.deviceID(f), evFirst: int32(len(g.events)), visFirst: int32(len(g.visits))}
	d.skew = g.clockSkew()
	switch {
	case f.app():
		d.sdk = sdkBatch
		d.nullUser = rng.Float64() < 0.3
		if f == formAndroidApp && rng.Float64() < 0.35 {
			d.ts = tsMillis
		}
		if f == formIOSApp && rng.Float64() < 0.2 {
			d.ts = tsOffset
		}
	default:
		d.sdk = sdk(pickWeighted(rng, []float64{25, 50, 25}))
		d.nullUser = rng.Float64() < 0.8
		if rng.Float64() < 0.02 {
			d.ts = tsOffset
		}
	}
	if d.ts == tsOffset {
		d.zone = oneOf(rng, zones)
	}
	c := g.userAgent(f)
	d.ua, d.extra = c.ua, c.extra
	d.ip = residentialIP(rng, f == formMobileWeb || f.app())
	g.devices = append(g.devices, d)
	return &g.devices[len(g.devices)-1], int32(len(g.devices) - 1)
}

func (g *gen) finishDevice(d *device) {
	d.evN = int32(len(g.events)) - d.evFirst
	d.visN = int32(len(g.visits)) - d.visFirst
	g.kindEvents[d.kind] += int(d.evN)
	d.times = nil
}

// clockSkew draws how wrong a device's clock is: most within seconds, some
// minutes to hours off, a few set to another year.
func (g *gen) clockSkew() int64 {
	rng := g.rng
	sign := int64(1)
	if rng.IntN(2) == 0 {
		sign = -1
	}
	switch r := rng.Float64(); {
	case r < 0.86:
		return rng.Int64N(6001) - 3000
	case r < 0.99:
		return sign * int64(math.Exp(math.Log(60e3)+rng.Float64()*math.Log(6*3600e3/60e3)))
	case r < 0.995:
		return -7*365*msDay - rng.Int64N(200*msDay) // 2019 for 2026 dates
	default:
		return 9*365*msDay - rng.Int64N(200*msDay) // 2035
	}
}

// place returns the first time at or after t at which the device may have
// its next event: after its previous one, not in the 2 s before UTC midnight,
// and not within 1 s of exactly 30 min or 24 h after any earlier event of the
// device. The pipeline sees event times shifted by 50-800 ms of network
// latency; these margins make it draw the same dates, session gaps and
// runaway splits as the ground truth, whichever records survive.
func (g *gen) place(d *device, t int64) int64 {
	if n := len(d.times); n > 0 && t <= d.times[n-1] {
		t = d.times[n-1] + 1
	}
	for {
		if tod := t % msDay; tod >= msDay-2*msSecond {
			t += msDay - tod + g.rng.Int64N(300)
			continue
		}
		if near(d.times, t-30*msMinute) || near(d.times, t-msDay) {
			t += msSecond + g.rng.Int64N(msSecond)
			continue
		}
		return t
	}
}

// near reports whether the sorted times hold one within 999 ms of t.
func near(times []int64, t int64) bool {
	i, _ := slices.BinarySearch(times, t-999)
	return i < len(times) && times[i] <= t+999
}
