// Events and visit times: emitting an event, the daily rhythm and when a device comes back.

package generate

import (
	"math"
	"math/rand/v2"
	"slices"
)

type vctx struct {
	d      *device
	di     int32
	person int32
	user   int32
	sess   uint32
	url    string
	ref    string
	ip     string
}

// emit appends an event of the visit at (or just after) t.
func (g *gen) emit(c *vctx, t int64, typ evType) *event {
	t = g.place(c.d, t)
	g.events = append(g.events, event{t: t, dev: c.di, person: c.person, user: c.user, typ: typ, sess: c.sess,
		url: c.url, ref: c.ref, ip: c.ip, product: -1, cat: -1, query: -1})
	e := &g.events[len(g.events)-1]
	u1, u2 := g.rng.Uint64(), g.rng.Uint64()
	for i := range 8 {
		e.id[i] = byte(u1 >> (8 * i))
		e.id[8+i] = byte(u2 >> (8 * i))
	}
	e.id[6] = e.id[6]&0x0f | 0x40 // UUID version 4
	e.id[8] = e.id[8]&0x3f | 0x80 // RFC 4122 variant
	c.d.times = append(c.d.times, t)
	return e
}

func (g *gen) uniform(lo, hi int64) int64 { return lo + g.rng.Int64N(hi-lo+1) }

func (g *gen) dayTime(day int) int64 {
	if w := g.cfg.Flat; w.on() {
		return g.start + int64(day)*msDay + w.From.Milliseconds() + g.rng.Int64N(w.Length.Milliseconds())
	}
	return g.start + int64(day)*msDay + int64(pickWeighted(g.rng, diurnal))*msHour + g.rng.Int64N(msHour)
}

// visitStarts draws when a device visits: most devices come once, regulars
// come back the same or later days.
func (g *gen) visitStarts() []int64 {
	rng := g.rng
	first := rng.IntN(g.days)
	rate := 0.0
	switch r := rng.Float64(); {
	case r < 0.25:
		rate = 0.3
	case r < 0.35:
		rate = 1.3
	case r < 0.36:
		rate = 4
	}
	last := g.days
	if g.cfg.LifetimeDays > 0 && rate > 0 {
		last = min(last, first+1+int(rng.ExpFloat64()*float64(g.cfg.LifetimeDays)))
	}
	var starts []int64
	for day := first; day < last; day++ {
		n := poisson(rng, rate)
		if day == first {
			n++
		}
		for range n {
			starts = append(starts, g.dayTime(day))
		}
	}
	slices.Sort(starts)
	if rng.Float64() < 0.004 {
		// A late-evening first visit, so that visits crossing midnight
		// show up even in small runs.
		starts[0] = g.start + int64(first)*msDay + 23*msHour + g.uniform(40*msMinute, 58*msMinute)
		slices.Sort(starts)
	}
	return starts
}

func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// nextStart is the start of the visit after one that ended at end: at least
// 32 min later, as visits are separated by more than 31 min.
func (g *gen) nextStart(want, end int64) int64 {
	if earliest := end + 32*msMinute; want < earliest {
		return earliest + g.rng.Int64N(3*msHour)
	}
	return want
}
