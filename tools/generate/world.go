// The world: persons, devices, events and visits, and the simulation that fills it.

package generate

import (
	"math"
	"math/rand/v2"
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
	spikeVisitsEnd int64 // last event of the spike's visits (scripted.go)
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
	if g.cfg.Spike.on() {
		g.spike()
	}
}
