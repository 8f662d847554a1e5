// People: their devices, shared devices and one visit of browsing, login and purchase.

package generate

import (
	"math"
	"slices"
)

// formWeights are the relative shares of desktop, mobile web, tablet, iOS
// app and Android app among people's devices.
var formWeights = []float64{34, 36, 8, 10, 12}

func (g *gen) humanPerson() {
	rng := g.rng
	account := rng.Float64() < 0.35
	pi := g.newPerson("p", account)
	nDev := 1
	switch r := rng.Float64(); {
	case account && r < 0.3:
		nDev = 2
	case account && r < 0.45:
		nDev = 3
	case !account && r < 0.12:
		nDev = 2
	}
	for range nDev {
		f := form(pickWeighted(rng, formWeights))
		if account && (f == formDesktop || f == formTablet) && rng.Float64() < 0.06 {
			partner := g.newPerson("p", true)
			g.sharedDevice(pi, partner, f)
			if rng.Float64() < 0.5 {
				g.humanDevice(partner, formMobileWeb, true)
			}
			continue
		}
		g.humanDevice(pi, f, account)
	}
}

func (g *gen) humanDevice(pi int32, f form, account bool) {
	rng := g.rng
	d, di := g.newDevice(kindHuman, f)
	starts := g.visitStarts()
	loginVisit := -1
	if account && rng.Float64() < 0.6 {
		loginVisit = 0
		if len(starts) > 1 && rng.Float64() < 0.45 {
			loginVisit = 1 + rng.IntN(len(starts)-1)
		}
	}
	acct := int32(-1)
	if account {
		acct = pi
	}
	user := int32(-1)
	end := int64(math.MinInt64 / 2)
	var flushAt int64
	for i, s := range starts {
		s = g.nextStart(s, end)
		if i > 0 && s >= g.end {
			break
		}
		p := visitPlan{person: pi, user: user, account: acct, login: i == loginVisit}
		if f.app() {
			if flushAt > s {
				p.flushAt = flushAt
			} else if rng.Float64() < 0.06 {
				flushAt = s + g.uniform(msHour, 8*msHour)
				p.flushAt = flushAt
			}
		}
		end, user = g.humanVisit(d, di, s, p)
	}
	g.finishDevice(d)
}

// sharedDevice is a family computer or tablet: a logs in, later logs out,
// then b browses anonymously and logs in.
func (g *gen) sharedDevice(a, b int32, f form) {
	d, di := g.newDevice(kindHuman, f)
	s := g.start + int64(g.rng.IntN(g.days))*msDay + g.uniform(6*msHour, 14*msHour)
	user := int32(-1)
	var end int64
	nA := 1 + g.rng.IntN(2)
	for i := range nA {
		end, user = g.humanVisit(d, di, s, visitPlan{person: a, user: user, account: a, login: i == 0, logout: i == nA-1})
		s = g.nextStart(0, end)
	}
	for i := range 1 + g.rng.IntN(2) {
		end, user = g.humanVisit(d, di, s, visitPlan{person: b, user: user, account: b, login: i == 0})
		s = g.nextStart(0, end)
	}
	g.finishDevice(d)
}

type visitPlan struct {
	person  int32
	user    int32 // person logged in at the start, -1 anonymous
	account int32 // person whose account the visitor can log into, -1 none
	login   bool  // log in during the visit, after browsing anonymously
	logout  bool  // log out at the end
	flushAt int64
}

// humanVisit simulates one visit: landing, browsing, maybe a cart, a login
// and a purchase. It returns the time of its last event and who is logged in
// at its end.
func (g *gen) humanVisit(d *device, di int32, start int64, p visitPlan) (int64, int32) {
	rng := g.rng
	app := d.form.app()
	if (d.form == formMobileWeb || app) && rng.Float64() < 0.4 {
		d.ip = residentialIP(rng, true) // a new carrier or Wi-Fi address
	}
	v := visit{first: int32(len(g.events)), flushAt: p.flushAt}
	c := vctx{d: d, di: di, person: p.person, user: p.user, sess: rng.Uint32() | 1, ip: d.ip}
	campaign, ref, pg := g.landing(d)
	var cart []cartItem
	loginAt := -1
	if p.login && p.user < 0 {
		loginAt = 1 + rng.IntN(3)
	}
	t := start
	purchased := false
	for n := 0; n < 60; n++ {
		if n == loginAt || (pg.kind == pgCheckout && c.user < 0 && p.account >= 0 && rng.Float64() < 0.6) {
			t = g.loginFlow(&c, app, t, p.account)
			ref = c.url
			loginAt = -1
		}
		c.url = g.pageURL(app, pg, campaign)
		c.ref = ref
		if app && n > 0 {
			c.ref = ""
		}
		campaign = ""
		viewed := g.emit(&c, t, evPageView).t
		stay := g.dwell(pg.kind)
		switch pg.kind {
		case pgProduct:
			g.productEvent(g.emit(&c, viewed+g.uniform(3, 60), evProductView), pg.product, 0)
		case pgSearch:
			e := g.emit(&c, viewed+g.uniform(3, 60), evSearch)
			e.query = pg.term
			e.cat = g.cat.termCat[pg.term]
		case pgCheckout:
			g.emit(&c, viewed+g.uniform(3, 80), evCheckoutStart)
		case pgConfirm:
			if len(cart) > 0 {
				if at := viewed + g.uniform(3, 80); !g.inOutage(at) {
					g.purchase(&c, at, cart)
					cart = cart[:0]
					purchased = true
				}
			}
		}
		var next pageKind
		switch {
		case pg.kind == pgProduct && rng.Float64() < 0.13:
			qty := uint8(1)
			if rng.Float64() < 0.12 {
				qty = uint8(2 + rng.IntN(3))
			}
			g.productEvent(g.emit(&c, viewed+max(msSecond, int64(float64(stay)*(0.3+0.6*rng.Float64()))), evAddToCart), pg.product, qty)
			cart = append(cart, cartItem{pg.product, qty})
			next = pageKind(pickWeighted(rng, afterAdd))
		case pg.kind == pgProduct && rng.Float64() < 0.01:
			g.productEvent(g.emit(&c, viewed+max(msSecond, stay/2), evAddToWishlist), pg.product, 0)
			next = pageKind(pickWeighted(rng, transitions[pg.kind]))
		case pg.kind == pgCart && len(cart) > 0 && rng.Float64() < 0.15:
			it := cart[len(cart)-1]
			cart = cart[:len(cart)-1]
			g.productEvent(g.emit(&c, viewed+max(msSecond, stay/2), evRemoveFromCart), it.product, it.qty)
			next = pageKind(pickWeighted(rng, transitions[pg.kind]))
		default:
			next = pageKind(pickWeighted(rng, transitions[pg.kind]))
		}
		if (next == pgCheckout || next == pgConfirm) && len(cart) == 0 {
			next = pgExit
		}
		t = viewed + stay
		if next == pgExit {
			if loginAt >= 0 {
				// The planned login still happens: the visitor signs in to
				// look at their account, then leaves.
				t = g.loginFlow(&c, app, t, p.account)
				c.ref, c.url = c.url, g.pageURL(app, page{kind: pgAccount}, "")
				g.emit(&c, t, evPageView)
			}
			break
		}
		ref = c.url
		pg = g.randomPage(next, pg)
	}
	if p.logout && c.user >= 0 {
		t = g.events[len(g.events)-1].t + g.uniform(3*msSecond, 40*msSecond)
		c.ref, c.url = c.url, g.pageURL(app, page{kind: pgAccount}, "")
		g.emit(&c, t, evPageView)
		g.emit(&c, t+g.uniform(4*msSecond, 20*msSecond), evLogout)
		c.user = -1
	}
	g.humanVisits++
	if purchased {
		g.purchaseVisits++
	}
	v.n = int32(len(g.events)) - v.first
	g.visits = append(g.visits, v)
	return g.events[len(g.events)-1].t, c.user
}

func (g *gen) loginFlow(c *vctx, app bool, t int64, account int32) int64 {
	if app {
		c.ref = ""
	} else {
		c.ref = c.url
	}
	c.url = g.pageURL(app, page{kind: pgLogin}, "")
	t = g.emit(c, t, evPageView).t
	c.user = account
	t = g.emit(c, t+g.uniform(6*msSecond, 40*msSecond), evLogin).t
	return t + g.uniform(800, 3*msSecond)
}

func (g *gen) purchase(c *vctx, t int64, cart []cartItem) {
	var sum int64
	var qty int
	for _, it := range cart {
		sum += g.cat.products[it.product].price * int64(it.qty)
		qty += int(it.qty)
	}
	if sum < 5000 {
		sum += 495 // shipping under 50 EUR
	}
	e := g.emit(c, t, evPurchase)
	g.orders++
	e.order = g.orders
	g.orderItems[e.order] = slices.Clone(cart)
	e.amount = sum
	e.qty = uint8(min(qty, 255))
}

func (g *gen) productEvent(e *event, prod int32, qty uint8) {
	e.product = prod
	e.cat = g.cat.products[prod].cat
	e.amount = g.cat.products[prod].price
	e.qty = qty
}
