// Pages: kinds, URLs, navigation between them, dwell times and landing from a campaign.

package generate

import (
	"math"
	"strings"
	"time"
)

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
		campaign = "utm_source=" + src + "&utm_medium=paid_social&utm_campaign=" + oneOf(rng, []string{"prospecting_nov", "retargeting_dpa", "bf_teaser", "new_collection"}) +
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
