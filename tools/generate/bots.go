// Kiosks and bots: crawlers, IP-listed bots and rate bots.

package generate

import (
	"math"
	"slices"
)

// kioskDevice is an in-store terminal that is never left alone for long:
// an event every 2-10 min for 30-36 hours, one runaway visit.
func (g *gen) kioskDevice() {
	pi := g.newPerson("kiosk", false)
	f := formDesktop
	if g.rng.IntN(2) == 0 {
		f = formTablet
	}
	d, di := g.newDevice(kindKiosk, f)
	d.sdk = sdkTag
	d.skew = g.rng.Int64N(2001) - 1000
	d.ts = tsUTC
	v := visit{first: int32(len(g.events))}
	c := vctx{d: d, di: di, person: pi, user: -1, ip: d.ip}
	t := g.start + int64(g.rng.IntN(g.days))*msDay + g.uniform(5*msHour, 10*msHour)
	stop := t + g.uniform(30*msHour, 36*msHour)
	pg := page{kind: pgHome}
	ref := ""
	for n := 0; t < stop; n++ {
		if n%12 == 0 {
			c.sess = g.rng.Uint32() | 1
			pg = page{kind: pgHome}
		}
		c.url, c.ref = g.pageURL(false, pg, ""), ref
		t = g.emit(&c, t, evPageView).t
		if pg.kind == pgProduct {
			g.productEvent(g.emit(&c, t+g.uniform(3, 60), evProductView), pg.product, 0)
		}
		ref = c.url
		pg = g.randomPage(pageKind(pickWeighted(g.rng, []float64{1, 4, 6, 2})), pg)
		t += g.uniform(2*msMinute, 10*msMinute)
	}
	v.n = int32(len(g.events)) - v.first
	g.visits = append(g.visits, v)
	g.finishDevice(d)
}

// crawlRun is a bot visit: pages fetched every gapLo-gapHi ms.
func (g *gen) crawlRun(c *vctx, t int64, pages int, gapLo, gapHi int64, productViews bool) int64 {
	v := visit{first: int32(len(g.events))}
	pg := page{kind: pgHome}
	for range pages {
		c.url = g.pageURL(false, pg, "")
		t = g.emit(c, t, evPageView).t
		if productViews && pg.kind == pgProduct {
			g.productEvent(g.emit(c, t+g.uniform(20, 400), evProductView), pg.product, 0)
		}
		if pg.kind == pgSearch {
			e := g.emit(c, t+g.uniform(20, 400), evSearch)
			e.query, e.cat = pg.term, g.cat.termCat[pg.term]
		}
		pg = g.randomPage(pageKind(pickWeighted(g.rng, []float64{0.3, 3, 6, 0.7})), pg)
		t = g.events[len(g.events)-1].t + g.uniform(gapLo, gapHi)
	}
	v.n = int32(len(g.events)) - v.first
	g.visits = append(g.visits, v)
	return g.events[len(g.events)-1].t
}

// crawlerDevice is a crawler or scraper that announces itself in its user
// agent and fetches at a polite rate.
func (g *gen) crawlerDevice() {
	fam := oneOf(g.rng, crawlers)
	pi := g.newPerson("bot", false)
	d, di := g.newDevice(kindUABot, formDesktop)
	d.ua = oneOf(g.rng, fam.uas)
	d.sdk = sdkPixel
	if fam.render {
		d.sdk = sdkTag
	}
	d.ts, d.extra = tsUTC, ""
	c := vctx{d: d, di: di, person: pi, user: -1}
	if fam.render {
		c.sess = g.rng.Uint32() | 1
	}
	end := int64(math.MinInt64 / 2)
	for day := range g.days {
		var starts []int64
		for range 1 + g.rng.IntN(3) {
			starts = append(starts, g.start+int64(day)*msDay+g.rng.Int64N(msDay))
		}
		slices.Sort(starts)
		for _, s := range starts {
			c.ip = prefixIP(g.rng, oneOf(g.rng, fam.ipv4))
			end = g.crawlRun(&c, g.nextStart(s, end), 20+g.rng.IntN(180), 2*msSecond, 30*msSecond, fam.render)
		}
	}
	g.finishDevice(d)
}

// ipBotDevice looks like a person (browser user agent, human pace) but comes
// from a denied network.
func (g *gen) ipBotDevice() {
	pi := g.newPerson("bot", false)
	d, di := g.newDevice(kindIPBot, formDesktop)
	d.ip = deniedIP(g.rng)
	c := vctx{d: d, di: di, person: pi, user: -1, ip: d.ip, sess: g.rng.Uint32() | 1}
	end := int64(math.MinInt64 / 2)
	for day := range g.days {
		for range 1 + g.rng.IntN(3) {
			end = g.crawlRun(&c, g.nextStart(g.dayTime(day), end), 15+g.rng.IntN(60), 3*msSecond, 25*msSecond, true)
		}
	}
	g.finishDevice(d)
}

// rateBotDevice is a scraper with a browser user agent on a cloud address:
// quiet on most days, then one burst of 250-600 events in 20-50 s.
func (g *gen) rateBotDevice() {
	pi := g.newPerson("bot", false)
	d, di := g.newDevice(kindRateBot, formDesktop)
	d.ip = cloudIP(g.rng)
	d.sdk = sdkTag
	c := vctx{d: d, di: di, person: pi, user: -1, ip: d.ip, sess: g.rng.Uint32() | 1}
	burstDay := g.rng.IntN(g.days)
	burst := g.start + int64(burstDay)*msDay + g.uniform(2*msHour, 21*msHour)
	type run struct {
		at    int64
		burst bool
	}
	runs := []run{{burst, true}}
	if g.rng.Float64() < 0.5 {
		// Browsing the same day, before the burst or after it.
		at := burst - g.uniform(2*msHour, 3*msHour)
		if at < g.start || g.rng.IntN(2) == 0 {
			at += 5 * msHour
		}
		runs = append(runs, run{at, false})
	}
	for day := range g.days {
		if day != burstDay && g.rng.Float64() < 0.6 {
			runs = append(runs, run{g.dayTime(day), false})
		}
	}
	slices.SortFunc(runs, func(a, b run) int { return int(a.at - b.at) })
	end := int64(math.MinInt64 / 2)
	for _, r := range runs {
		at := r.at
		if at < end+2*msHour {
			at = end + 2*msHour
		}
		if !r.burst {
			end = g.crawlRun(&c, at, 5+g.rng.IntN(15), 5*msSecond, 60*msSecond, true)
			continue
		}
		n := int(g.uniform(250, 600))
		span := g.uniform(20*msSecond, 50*msSecond)
		v := visit{first: int32(len(g.events))}
		pg := page{kind: pgCategory, cat: int16(g.rng.IntN(len(categories)))}
		for i := range n {
			t := at + span*int64(i)/int64(n)
			if i%2 == 0 {
				pg = g.randomPage(pgProduct, page{kind: pgCategory, cat: pg.cat})
				c.url = g.pageURL(false, pg, "")
				g.emit(&c, t, evPageView)
			} else {
				g.productEvent(g.emit(&c, t, evProductView), pg.product, 0)
			}
		}
		v.n = int32(len(g.events)) - v.first
		g.visits = append(g.visits, v)
		end = g.events[len(g.events)-1].t
	}
	g.finishDevice(d)
}
