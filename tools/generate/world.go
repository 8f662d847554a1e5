package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

const (
	msSecond int64 = 1000
	msMinute       = 60 * msSecond
	msHour         = 60 * msMinute
	msDay          = 24 * msHour
)

type evType uint8

const (
	evPageView evType = iota
	evProductView
	evSearch
	evAddToCart
	evRemoveFromCart
	evCheckoutStart
	evPurchase
	evLogin
	evLogout
	evAddToWishlist // not in the contract's list: unknown types are kept
)

var evTypeNames = [...]string{"page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "checkout_start", "purchase", "login", "logout", "add_to_wishlist"}

type kind uint8

const (
	kindHuman kind = iota
	kindKiosk
	kindUABot
	kindIPBot
	kindRateBot
)

type form uint8

const (
	formDesktop form = iota
	formMobileWeb
	formTablet
	formIOSApp
	formAndroidApp
)

func (f form) app() bool { return f == formIOSApp || f == formAndroidApp }

func (f form) platform() string {
	switch f {
	case formIOSApp:
		return "ios"
	case formAndroidApp:
		return "android"
	}
	return "web"
}

// sdk is how a device's tracker sends events.
type sdk uint8

const (
	sdkPixel sdk = iota // one event per request, sent at once, no sent_at
	sdkTag              // one event per request, with sent_at
	sdkBatch            // beacons of several events
)

// tsStyle is how a device writes created_at and sent_at.
type tsStyle uint8

const (
	tsUTC    tsStyle = iota // 2026-11-01T10:15:30.120Z
	tsMillis                // 1793528130120
	tsOffset                // 2026-11-01T11:15:30.120+01:00
)

type person struct {
	id   string
	user string // account id, sent as user_id once logged in; "" without an account
}

type device struct {
	id       string
	kind     kind
	form     form
	sdk      sdk
	ts       tsStyle
	zone     *time.Location
	nullUser bool // anonymous events carry "user_id":null rather than no user_id
	ua       string
	ip       string
	skew     int64 // device clock minus true time, ms
	extra    string
	evFirst  int32
	evN      int32
	visFirst int32
	visN     int32
	times    []int64 // true times of the device's events so far, while generating
}

type event struct {
	id      [16]byte
	t       int64 // true time, ms since the epoch
	dev     int32
	person  int32
	user    int32 // person whose user_id is sent; -1 while anonymous
	product int32 // -1 none
	order   int32 // 0 none
	sess    uint32
	amount  int64 // cents: price, or revenue of a purchase
	cat     int16 // -1 none
	query   int16 // -1 none
	typ     evType
	qty     uint8
	url     string
	ref     string
	ip      string
}

// visit is a device's visit (a crawl run for bots): a range of its events.
type visit struct {
	first, n int32
	flushAt  int64 // > 0: the device was offline, events queue until then
}

type gen struct {
	cfg Config
	rng *rand.Rand
	// The world runs from start for days (--history_days + --days); what
	// is received before from (--start) is not written; end is from plus
	// --days.
	start, from, end int64
	days             int
	cat              *catalog

	persons []person
	devices []device
	events  []event
	visits  []visit
	lines   []line

	ids            map[string]struct{}
	uaPool         map[form][]uaChoice
	orders         int32
	orderItems     map[int32][]cartItem // order -> its cart, for its items (items.go)
	users          int
	humanVisits    int
	purchaseVisits int
	kindEvents     [5]int
}

var diurnal = []float64{2, 1.2, 0.8, 0.6, 0.6, 1, 2, 3.5, 4.5, 5, 5.2, 5.5, 6, 5.8, 5.5, 5.5, 5.8, 6.5, 7.5, 8.5, 9, 8, 6.5, 4.5}

// simulate builds the world: kiosks, bots, then people until the event
// target is met.
func (g *gen) simulate() {
	target := g.cfg.Events * g.days / g.cfg.Days
	for range 1 + target/150000 {
		g.kioskDevice()
	}
	for g.kindEvents[kindUABot] < target*3/100 {
		g.crawlerDevice()
	}
	for g.kindEvents[kindIPBot] < target*12/1000 {
		g.ipBotDevice()
	}
	for range max(2, int(math.Round(float64(target)*0.025/420))) {
		g.rateBotDevice()
	}
	for len(g.events) < target {
		g.humanPerson()
	}
}

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
		f := form(pickWeighted(rng, []float64{34, 36, 8, 10, 12}))
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

type pageKind uint8

const (
	pgHome pageKind = iota
	pgCategory
	pgProduct
	pgSearch
	pgCart
	pgCheckout
	pgConfirm
	pgLogin
	pgAccount
	pgExit
)

type cartItem struct {
	product int32
	qty     uint8
}

type page struct {
	kind    pageKind
	cat     int16
	product int32
	term    int16
	variant int // category listing variant
}

func (g *gen) pageURL(app bool, p page, campaign string) string {
	base := "https://shop.example.com"
	if app {
		base = "app://shop"
	}
	var path string
	switch p.kind {
	case pgHome:
		path = "/"
		if app {
			path = "/home"
		}
	case pgCategory:
		path = "/c/" + categories[p.cat].slug + []string{"", "", "", "?page=2", "?sort=price_asc", "?page=3", "?sort=newest", ""}[p.variant%8]
	case pgProduct:
		path = "/p/" + g.cat.products[p.product].sku
	case pgSearch:
		path = "/search?q=" + g.cat.termEsc[p.term]
	case pgCart:
		path = "/cart"
	case pgCheckout:
		path = "/checkout"
	case pgConfirm:
		path = "/checkout/confirmation"
	case pgLogin:
		path = "/account/login"
	case pgAccount:
		path = "/account"
	}
	u := base + path
	if campaign != "" {
		if strings.Contains(u, "?") {
			u += "&" + campaign
		} else {
			u += "?" + campaign
		}
	}
	return u
}

func (g *gen) randomPage(kind pageKind, from page) page {
	p := page{kind: kind, cat: from.cat, product: from.product, term: from.term, variant: g.rng.IntN(8)}
	switch kind {
	case pgCategory:
		if from.kind != pgCategory || g.rng.Float64() < 0.5 {
			p.cat = g.cat.products[g.cat.popular.Uint64()].cat
		}
	case pgSearch:
		p.term = int16(g.cat.nTerms.Uint64())
	case pgProduct:
		switch from.kind {
		case pgCategory:
			p.product = g.cat.productIn(g.rng, from.cat)
		case pgSearch:
			p.product = g.cat.productIn(g.rng, g.cat.termCat[from.term])
		case pgProduct:
			// Related products: mostly the same category.
			if g.rng.Float64() < 0.7 {
				p.product = g.cat.productIn(g.rng, g.cat.products[from.product].cat)
			} else {
				p.product = int32(g.cat.popular.Uint64())
			}
		default:
			p.product = int32(g.cat.popular.Uint64())
		}
		p.cat = g.cat.products[p.product].cat
	}
	return p
}

// transitions are the probabilities of the next page by current page, in
// pageKind order (home, category, product, search, cart, checkout, confirm,
// login, account, exit).
var transitions = [...][]float64{
	pgHome:     {0, 40, 12, 20, 1, 0, 0, 0, 0, 27},
	pgCategory: {2, 12, 50, 6, 1, 0, 0, 0, 0, 29},
	pgProduct:  {2, 12, 31, 7, 2, 0, 0, 0, 0, 46},
	pgSearch:   {1, 4, 52, 10, 0, 0, 0, 0, 0, 33},
	pgCart:     {2, 3, 12, 2, 0, 56, 0, 0, 0, 25},
	pgCheckout: {0, 0, 0, 0, 8, 0, 66, 0, 0, 26},
	pgConfirm:  {12, 2, 2, 0, 0, 0, 0, 0, 0, 84},
}

var afterAdd = []float64{1, 8, 22, 4, 50, 0, 0, 0, 0, 15}

// medianDwell is the median time on a page, in seconds, by pageKind.
var medianDwell = [...]float64{pgHome: 12, pgCategory: 20, pgProduct: 28, pgSearch: 15, pgCart: 25, pgCheckout: 70, pgConfirm: 20, pgLogin: 15, pgAccount: 10}

func (g *gen) dwell(k pageKind) int64 {
	med := medianDwell[k]
	if g.rng.Float64() < 0.012 {
		return g.uniform(5*msMinute, 25*msMinute)
	}
	x := med * math.Exp(g.rng.NormFloat64()*0.95) * 1000
	return int64(math.Min(math.Max(x, 2000), float64(25*msMinute)))
}

// landing draws the traffic source of a visit: its campaign parameters, its
// referrer and the kind of page it lands on.
func (g *gen) landing(d *device) (campaign, ref string, p page) {
	rng := g.rng
	kind := pgHome
	land := func(w ...float64) { kind = []pageKind{pgHome, pgCategory, pgProduct, pgSearch}[pickWeighted(rng, w)] }
	if d.form.app() {
		switch r := rng.Float64(); {
		case r < 0.85:
			land(70, 15, 10, 5)
		case r < 0.94:
			campaign = "utm_source=push&utm_medium=push&utm_campaign=" + oneOf(rng, []string{"price_drop", "back_in_stock", "weekend_sale", "black_friday"})
			land(10, 30, 60, 0)
		default:
			campaign = "utm_source=newsletter&utm_medium=email&utm_campaign=" + g.newsletter()
			land(30, 50, 20, 0)
		}
		return campaign, "", g.landingPage(kind)
	}
	switch r := rng.Float64(); {
	case r < 0.26: // direct
		land(60, 15, 25, 0)
	case r < 0.54: // organic search
		ref = oneOf(rng, []string{"https://www.google.com/", "https://www.google.com/", "https://www.google.com/", "https://www.google.de/", "https://www.google.co.uk/",
			"https://www.bing.com/", "https://duckduckgo.com/", "https://www.ecosia.org/", "https://search.yahoo.com/", "https://www.google.fr/"})
		land(20, 35, 45, 0)
	case r < 0.66: // Google Ads
		campaign = "utm_source=google&utm_medium=cpc&utm_campaign=" + oneOf(rng, []string{"brand_exact", "generic_shoes", "pmax_shopping", "winter_sale", "black_friday", "dsa_all"}) +
			"&utm_term=" + g.cat.termEsc[g.cat.nTerms.Uint64()] + "&gclid=Cj0KCQiA" + g.b64(64) + "_BwE"
		ref = "https://www.google.com/"
		land(8, 30, 60, 2)
	case r < 0.69: // Microsoft Ads
		campaign = "utm_source=bing&utm_medium=cpc&utm_campaign=" + oneOf(rng, []string{"brand", "generic", "shopping"}) + "&msclkid=" + g.hex(32)
		ref = "https://www.bing.com/"
		land(10, 30, 60, 0)
	case r < 0.77: // paid social
		src := oneOf(rng, []string{"facebook", "instagram"})
		campaign = "utm_source=" + src + "&utm_medium=social&utm_campaign=" + oneOf(rng, []string{"prospecting_nov", "retargeting_dpa", "bf_teaser", "new_collection"}) +
			"&utm_content=" + oneOf(rng, []string{"carousel_1", "video_15s", "story_a", "story_b", "static_3"}) + "&fbclid=IwAR" + g.b64(58)
		// In-app browsers often send no referrer at all.
		ref = oneOf(rng, []string{"https://l.facebook.com/", "https://lm.facebook.com/", "http://m.facebook.com/", ""})
		if src == "instagram" {
			ref = oneOf(rng, []string{"https://l.instagram.com/", "https://www.instagram.com/", ""})
		}
		land(5, 15, 80, 0)
	case r < 0.81: // organic social
		ref = oneOf(rng, []string{"https://www.facebook.com/", "https://l.facebook.com/", "https://www.instagram.com/", "https://t.co/", "https://www.pinterest.com/", "https://www.reddit.com/", "https://www.tiktok.com/", "https://www.youtube.com/"})
		if strings.Contains(ref, "facebook") {
			campaign = "fbclid=IwAR" + g.b64(58)
		}
		land(20, 20, 60, 0)
	case r < 0.89: // email
		campaign = "utm_source=newsletter&utm_medium=email&utm_campaign=" + g.newsletter() + "&utm_content=" + oneOf(rng, []string{"hero", "grid_1", "grid_2", "footer", "cta"})
		if rng.Float64() < 0.15 {
			ref = oneOf(rng, []string{"https://mail.google.com/", "https://outlook.live.com/", "https://email.t-online.de/"})
		}
		land(30, 45, 25, 0)
	case r < 0.93: // display
		src := oneOf(rng, []string{"criteo", "gdn", "taboola", "outbrain"})
		campaign = "utm_source=" + src + "&utm_medium=" + oneOf(rng, []string{"display", "display", "cpm"}) + "&utm_campaign=" + oneOf(rng, []string{"retargeting", "prospecting", "bf_awareness"})
		if rng.Float64() < 0.4 {
			ref = oneOf(rng, []string{"https://www.spiegel.de/", "https://www.theguardian.com/", "https://www.lemonde.fr/", "https://www.bild.de/", "https://www.msn.com/"})
		}
		land(5, 20, 75, 0)
	default: // referral: price comparison, reviews, forums
		ref = oneOf(rng, []string{"https://www.idealo.de/", "https://www.mydealz.de/", "https://www.trustpilot.com/", "https://www.reddit.com/r/malefashionadvice/", "https://www.hotukdeals.com/", "https://www.pricerunner.com/"})
		if rng.Float64() < 0.5 {
			campaign = "utm_source=" + strings.Split(strings.TrimPrefix(strings.TrimPrefix(ref, "https://"), "www."), ".")[0] + "&utm_medium=affiliate"
		}
		land(5, 10, 85, 0)
	}
	return campaign, ref, g.landingPage(kind)
}

func (g *gen) landingPage(k pageKind) page {
	p := g.randomPage(k, page{kind: pgHome})
	if k == pgSearch {
		p.term = int16(g.cat.nTerms.Uint64())
	}
	return p
}

func (g *gen) newsletter() string {
	day := time.UnixMilli(g.start + int64(g.rng.IntN(g.days))*msDay - int64(g.rng.IntN(10))*msDay).UTC()
	return "nl_" + day.Format("2006_01_02")
}

func (g *gen) b64(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(64)]
	}
	return string(b)
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
				g.purchase(&c, viewed+g.uniform(3, 80), cart)
				cart = cart[:0]
				purchased = true
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
