package generate

import (
	"fmt"
	"net/url"
	"strings"
)

// trafficTruth is what GA4's definitions make of an event's page URL and
// referrer: traffic source, medium, campaign and default channel group
// (Google Analytics Help, "[GA4] Traffic-source dimensions" and "[GA4]
// Default channel group"). It is written for this generator's vocabulary
// only, the tags and referrers that landing draws, and panics on anything
// else, so that the truth cannot drift from the world unnoticed.
type trafficTruth struct {
	source, medium, campaign, channel string
}

// referrerTruth is the truth of an untagged visit from each referrer site
// the generator uses, by host.
var referrerTruth = map[string]trafficTruth{
	"www.google.com":      {"google", "organic", "(organic)", "Organic Search"},
	"www.google.de":       {"google", "organic", "(organic)", "Organic Search"},
	"www.google.co.uk":    {"google", "organic", "(organic)", "Organic Search"},
	"www.google.fr":       {"google", "organic", "(organic)", "Organic Search"},
	"www.bing.com":        {"bing", "organic", "(organic)", "Organic Search"},
	"duckduckgo.com":      {"duckduckgo", "organic", "(organic)", "Organic Search"},
	"www.ecosia.org":      {"ecosia.org", "organic", "(organic)", "Organic Search"},
	"search.yahoo.com":    {"yahoo", "organic", "(organic)", "Organic Search"},
	"www.facebook.com":    {"facebook", "referral", "(referral)", "Organic Social"},
	"l.facebook.com":      {"facebook", "referral", "(referral)", "Organic Social"},
	"lm.facebook.com":     {"facebook", "referral", "(referral)", "Organic Social"},
	"m.facebook.com":      {"facebook", "referral", "(referral)", "Organic Social"},
	"www.instagram.com":   {"instagram", "referral", "(referral)", "Organic Social"},
	"l.instagram.com":     {"instagram", "referral", "(referral)", "Organic Social"},
	"t.co":                {"twitter", "referral", "(referral)", "Organic Social"},
	"www.pinterest.com":   {"pinterest", "referral", "(referral)", "Organic Social"},
	"www.reddit.com":      {"reddit", "referral", "(referral)", "Organic Social"},
	"www.tiktok.com":      {"tiktok", "referral", "(referral)", "Organic Social"},
	"www.youtube.com":     {"youtube", "referral", "(referral)", "Organic Video"},
	"www.idealo.de":       {"idealo.de", "referral", "(referral)", "Referral"},
	"www.mydealz.de":      {"mydealz.de", "referral", "(referral)", "Referral"},
	"www.trustpilot.com":  {"trustpilot.com", "referral", "(referral)", "Referral"},
	"www.hotukdeals.com":  {"hotukdeals.com", "referral", "(referral)", "Referral"},
	"www.pricerunner.com": {"pricerunner.com", "referral", "(referral)", "Referral"},
}

var directTruth = trafficTruth{"(direct)", "(none)", "(direct)", "Direct"}

// trafficOf returns the truth of an event with this page URL and referrer.
func trafficOf(pageURL, ref string) trafficTruth {
	u, err := url.Parse(pageURL)
	if err != nil {
		panic(fmt.Sprintf("trafficOf: page URL %q: %v", pageURL, err))
	}
	q := u.Query()
	if src, med, camp := q.Get("utm_source"), q.Get("utm_medium"), q.Get("utm_campaign"); src != "" || med != "" || camp != "" {
		return trafficTruth{notSet(src), notSet(med), notSet(camp), taggedChannel(src, med, camp)}
	}
	if ref == "" {
		return directTruth
	}
	r, err := url.Parse(ref)
	if err != nil {
		panic(fmt.Sprintf("trafficOf: referrer %q: %v", ref, err))
	}
	if r.Host == u.Host {
		return directTruth // internal navigation, as GA4 treats self-referrals
	}
	t, ok := referrerTruth[r.Host]
	if !ok {
		panic(fmt.Sprintf("trafficOf: referrer %q is not in referrerTruth", ref))
	}
	return t
}

func notSet(s string) string {
	if s == "" {
		return "(not set)"
	}
	return s
}

// taggedChannel is the channel group of the tag combinations landing
// writes, by GA4's rules in GA4's order.
func taggedChannel(src, med, camp string) string {
	switch {
	case med == "cpc" && (src == "google" || src == "bing"):
		if strings.Contains(camp, "shopping") {
			return "Paid Shopping" // a shopping campaign with a paid medium comes first
		}
		return "Paid Search"
	case med == "paid_social" && (src == "facebook" || src == "instagram"):
		return "Paid Social"
	case med == "display" || med == "cpm":
		return "Display"
	case med == "affiliate" && src == "reddit":
		return "Organic Social" // a social source is tried before the affiliate medium
	case med == "affiliate":
		return "Affiliates"
	case med == "email":
		return "Email"
	case med == "push":
		return "Mobile Push Notifications"
	}
	panic(fmt.Sprintf("taggedChannel: no truth for utm_source=%q utm_medium=%q utm_campaign=%q", src, med, camp))
}

// appendEventTruth appends the geo and traffic truth of an event: the
// country its address was drawn from ("" for none of countryRanges) and its
// traffic source, medium, campaign and channel group.
func appendEventTruth(b []byte, e *event) []byte {
	t := trafficOf(e.url, e.ref)
	b = appendStr(append(b, `,"geo_country":`...), countryOf(e.ip))
	b = appendStr(append(b, `,"traffic_source":`...), t.source)
	b = appendStr(append(b, `,"traffic_medium":`...), t.medium)
	b = appendStr(append(b, `,"traffic_campaign":`...), t.campaign)
	return appendStr(append(b, `,"default_channel_group":`...), t.channel)
}
