package enrich

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich/enrichtest"
)

func TestParsePage(t *testing.T) {
	tests := []struct {
		url  string
		want Page
	}{
		{
			url: "https://Shop.Example.com:443/p/sku-1?utm_source=google&utm_medium=cpc&utm_campaign=x&gclid=abc#top",
			want: Page{Host: "shop.example.com", Path: "/p/sku-1", Query: "utm_source=google&utm_medium=cpc&utm_campaign=x&gclid=abc",
				UTMSource: "google", UTMMedium: "cpc", UTMCampaign: "x", GCLID: "abc"},
		},
		{url: "https://shop.example.com", want: Page{Host: "shop.example.com", Path: "/"}},
		{url: "", want: Page{}},
		{url: "/cart?utm_term=a+b", want: Page{Path: "/cart", Query: "utm_term=a+b", UTMTerm: "a b"}},
		{url: "https://x.example/?msclkid=1&fbclid=2&utm_content=%F0%9F%91%9F", want: Page{Host: "x.example", Path: "/",
			Query: "msclkid=1&fbclid=2&utm_content=%F0%9F%91%9F", MSCLKID: "1", FBCLID: "2", UTMContent: "👟"}},
		{url: "https://x.example/?wbraid=1", want: Page{Host: "x.example", Path: "/", Query: "wbraid=1", OtherClickID: true}},
	}
	for _, tt := range tests {
		if got := ParsePage(tt.url); got != tt.want {
			t.Errorf("ParsePage(%q)\n got %+v\nwant %+v", tt.url, got, tt.want)
		}
	}
}

// TestParsePageLongPath checks what long paths give: at most MaxURLBytes of
// valid UTF-8. The path is cut before it is parsed, since the parser's time
// grows with the square of the segments: before, these three took about 23 s
// (the test does not assert time; it took milliseconds after).
func TestParsePageLongPath(t *testing.T) {
	for _, path := range []string{strings.Repeat("\\", 256<<10), strings.Repeat("/", 256<<10) + "ü", strings.Repeat("/a", 128<<10) + "ü"} {
		p := ParsePage("https://h" + path)
		if len(p.Path) > MaxURLBytes || !utf8.ValidString(p.Path) || !strings.HasPrefix(p.Path, "/") {
			t.Errorf("path of %d bytes: page_path of %d bytes (%.20q...), want at most %d, valid UTF-8, from /", len(path), len(p.Path), p.Path, MaxURLBytes)
		}
	}
}

func TestClassify(t *testing.T) {
	c, err := NewClassifier([]string{"*.Example.com."})
	if err != nil {
		t.Fatal(err)
	}
	const shop = "https://shop.example.com/"
	// Expected values follow GA4's published rules (Google Analytics Help,
	// "[GA4] Default channel group" and "Traffic-source dimensions").
	tests := []struct {
		name, page, referrer, wantHost string
		want                           Traffic
	}{
		{"no referrer, no tags", shop, "", "", Traffic{"(direct)", "(none)", "(direct)", "Direct"}},
		{"referrer without host", shop, "about:blank", "", Traffic{"(direct)", "(none)", "(direct)", "Direct"}},
		{"same host is direct", shop + "b", shop + "a", "shop.example.com", Traffic{"(direct)", "(none)", "(direct)", "Direct"}},
		{"internal domain is direct", shop + "b", "https://help.example.com/", "help.example.com", Traffic{"(direct)", "(none)", "(direct)", "Direct"}},
		{"not a subdomain", shop, "https://notexample.com/", "notexample.com", Traffic{"notexample.com", "referral", "(referral)", "Referral"}},
		{"UTM beats the click id", shop + "?utm_source=newsletter&utm_medium=email&gclid=x", "", "", Traffic{"newsletter", "email", "(not set)", "Email"}},
		{"UTM beats the referrer", shop + "?utm_source=google&utm_medium=cpc&utm_campaign=brand", "https://www.bing.com/", "www.bing.com", Traffic{"google", "cpc", "brand", "Paid Search"}},
		{"gclid", shop + "?gclid=x", "https://www.bing.com/", "www.bing.com", Traffic{"google", "cpc", "(not set)", "Paid Search"}},
		{"wbraid", shop + "?wbraid=x", "", "", Traffic{"google", "cpc", "(not set)", "Paid Search"}},
		{"msclkid", shop + "?msclkid=1", "", "", Traffic{"bing", "cpc", "(not set)", "Paid Search"}},
		{"fbclid is no campaign tag", shop + "?fbclid=x", "https://l.facebook.com/", "l.facebook.com", Traffic{"facebook", "referral", "(referral)", "Organic Social"}},
		{"fbclid without referrer", shop + "?fbclid=x", "", "", Traffic{"(direct)", "(none)", "(direct)", "Direct"}},
		{"paid social", shop + "?utm_source=Facebook&utm_medium=paid_social", "", "", Traffic{"Facebook", "paid_social", "(not set)", "Paid Social"}},
		{"social medium is organic", shop + "?utm_source=instagram&utm_medium=social", "", "", Traffic{"instagram", "social", "(not set)", "Organic Social"}},
		{"social alias", shop + "?utm_source=ig&utm_medium=cpc", "", "", Traffic{"ig", "cpc", "(not set)", "Paid Social"}},
		{"paid shopping by campaign", shop + "?utm_source=google&utm_medium=cpc&utm_campaign=pmax_shopping", "", "", Traffic{"google", "cpc", "pmax_shopping", "Paid Shopping"}},
		{"shopping needs a word start", shop + "?utm_source=google&utm_medium=cpc&utm_campaign=workshop", "", "", Traffic{"google", "cpc", "workshop", "Paid Search"}},
		{"cross-network", shop + "?utm_source=google&utm_medium=cpc&utm_campaign=PMax+Cross-Network", "", "", Traffic{"google", "cpc", "PMax Cross-Network", "Cross-network"}},
		{"paid video", shop + "?utm_source=youtube&utm_medium=cpv", "", "", Traffic{"youtube", "cpv", "(not set)", "Paid Video"}},
		{"display", shop + "?utm_source=criteo&utm_medium=display", "", "", Traffic{"criteo", "display", "(not set)", "Display"}},
		{"cpm is display", shop + "?utm_source=gdn&utm_medium=cpm", "", "", Traffic{"gdn", "cpm", "(not set)", "Display"}},
		{"paid other", shop + "?utm_source=partner&utm_medium=ppc", "", "", Traffic{"partner", "ppc", "(not set)", "Paid Other"}},
		{"organic shopping", shop, "https://www.amazon.de/", "www.amazon.de", Traffic{"amazon", "referral", "(referral)", "Organic Shopping"}},
		{"organic video", shop, "https://youtu.be/x", "youtu.be", Traffic{"youtube", "referral", "(referral)", "Organic Video"}},
		{"video medium", shop + "?utm_source=blog&utm_medium=Video", "", "", Traffic{"blog", "Video", "(not set)", "Organic Video"}},
		{"organic search", shop, "https://www.google.com.br/", "www.google.com.br", Traffic{"google", "organic", "(organic)", "Organic Search"}},
		{"search app", shop, "android-app://com.google.android.googlequicksearchbox/", "com.google.android.googlequicksearchbox", Traffic{"google", "organic", "(organic)", "Organic Search"}},
		{"organic medium", shop + "?utm_medium=organic", "", "", Traffic{"(not set)", "organic", "(not set)", "Organic Search"}},
		{"google product, not search", shop, "https://docs.google.com/", "docs.google.com", Traffic{"docs.google.com", "referral", "(referral)", "Referral"}},
		{"webmail is referral", shop, "https://mail.google.com/", "mail.google.com", Traffic{"mail.google.com", "referral", "(referral)", "Referral"}},
		{"www. is dropped", shop, "https://www.idealo.de/preisvergleich", "www.idealo.de", Traffic{"idealo.de", "referral", "(referral)", "Referral"}},
		{"referral medium", shop + "?utm_source=partner&utm_medium=link", "", "", Traffic{"partner", "link", "(not set)", "Referral"}},
		{"email source", shop + "?utm_source=e-mail&utm_medium=crm", "", "", Traffic{"e-mail", "crm", "(not set)", "Email"}},
		{"affiliate", shop + "?utm_source=idealo&utm_medium=affiliate", "", "", Traffic{"idealo", "affiliate", "(not set)", "Affiliates"}},
		{"social source beats affiliate", shop + "?utm_source=reddit&utm_medium=affiliate", "", "", Traffic{"reddit", "affiliate", "(not set)", "Organic Social"}},
		{"audio", shop + "?utm_source=spotify&utm_medium=audio", "", "", Traffic{"spotify", "audio", "(not set)", "Audio"}},
		{"sms", shop + "?utm_source=sms&utm_medium=text", "", "", Traffic{"sms", "text", "(not set)", "SMS"}},
		{"push", shop + "?utm_source=push&utm_medium=push", "", "", Traffic{"push", "push", "(not set)", "Mobile Push Notifications"}},
		{"unknown medium", shop + "?utm_source=poster&utm_medium=qr", "", "", Traffic{"poster", "qr", "(not set)", "Unassigned"}},
		{"campaign only", shop + "?utm_campaign=spring", "https://www.google.com/", "www.google.com", Traffic{"(not set)", "(not set)", "spring", "Unassigned"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, got := c.Classify(ParsePage(tt.page), tt.referrer)
			if host != tt.wantHost || got != tt.want {
				t.Errorf("Classify(%q, %q) = %q, %+v; want %q, %+v", tt.page, tt.referrer, host, got, tt.wantHost, tt.want)
			}
		})
	}
	// An internationalized internal domain matches its hosts whether each is
	// written in Unicode or in punycode.
	idn, err := NewClassifier([]string{"MÜNCHEN.example"})
	if err != nil {
		t.Fatal(err)
	}
	if host, got := idn.Classify(ParsePage("https://xn--mnchen-3ya.example/"), "https://shop.münchen.example/p"); host != "shop.xn--mnchen-3ya.example" || got.ChannelGroup != "Direct" {
		t.Errorf("internationalized internal domain: referrer host %q, %+v; want shop.xn--mnchen-3ya.example, Direct", host, got)
	}
	if _, err := NewClassifier([]string{"https://example.com/"}); err == nil {
		t.Error("NewClassifier accepted a URL as a domain")
	}
}

func TestDeviceType(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", DeviceDesktop},
		{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", DeviceMobile},
		{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", DeviceTablet},
		{"Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", DeviceTablet},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", DeviceMobile},
		{"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240305.019.A1)", DeviceMobile},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", DeviceBot},
		{"Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV Safari/537.36", DeviceOther},
		{"curl/8.5.0", DeviceOther},
		{"", DeviceOther},
	}
	p, err := NewUAParser(4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		for range 2 { // then from the cache
			if got := p.Parse(tt.ua).Type; got != tt.want {
				t.Errorf("Parse(%q).Type = %q, want %q", tt.ua, got, tt.want)
			}
		}
	}
}

func TestEnricherApply(t *testing.T) {
	t.Setenv("ENRICH_TEST_KEY", "test-key-0123456789abcdef0123456")
	long := "https://shop.example.com/search?q=" + strings.Repeat("é", 1500) // 3,034 bytes
	tests := []struct {
		name string
		opts Options
		in   schemas.Event
		want func(e schemas.Event) string // "" when e is as expected
	}{
		{
			name: "truncate mode",
			in:   schemas.Event{IP: "198.51.100.23"},
			want: func(e schemas.Event) string { return expect(e.IP, "198.51.100.0") },
		},
		{
			name: "hash mode",
			opts: Options{IPMode: "hash", HashKeyRef: "env:ENRICH_TEST_KEY"},
			in:   schemas.Event{IP: "198.51.100.23"},
			want: func(e schemas.Event) string { return expect(e.IP, "h:854fc9d95ffaaf94") },
		},
		{
			name: "raw mode canonicalises",
			opts: Options{IPMode: "raw"},
			in:   schemas.Event{IP: "2001:DB8::0:1"},
			want: func(e schemas.Event) string { return expect(e.IP, "2001:db8::1") },
		},
		{
			name: "not an address is dropped",
			in:   schemas.Event{IP: "unknown"},
			want: func(e schemas.Event) string { return expect(e.IP, "") },
		},
		{
			name: "long URLs are cut on a character boundary",
			in:   schemas.Event{PageURL: long, Referrer: long},
			want: func(e schemas.Event) string {
				if len(e.PageURL) > MaxURLBytes || len(e.Referrer) > MaxURLBytes || len(e.PageQuery) > MaxURLBytes ||
					!utf8.ValidString(e.PageURL) || !utf8.ValidString(e.PageQuery) || !strings.HasPrefix(long, e.PageURL) ||
					len(e.PageURL) < MaxURLBytes-1 {
					return "cut wrongly: " + e.PageURL[len(e.PageURL)-8:]
				}
				return expect(e.DefaultChannelGroup, ChannelDirect)
			},
		},
		{
			name: "all fields",
			opts: Options{InternalDomains: []string{"example.com"}},
			in: schemas.Event{
				PageURL:   "https://shop.example.com/p/sku-123?utm_source=google&utm_medium=cpc&gclid=abc",
				Referrer:  "https://www.google.com/",
				UserAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
			},
			want: func(e schemas.Event) string {
				got := strings.Join([]string{e.PageHost, e.PagePath, e.PageQuery, e.UTMSource, e.UTMMedium, e.GCLID,
					e.ReferrerHost, e.TrafficSource, e.TrafficMedium, e.TrafficCampaign, e.DefaultChannelGroup,
					e.DeviceType, e.Browser, e.BrowserVersion, e.OS, e.OSVersion}, "|")
				return expect(got, "shop.example.com|/p/sku-123|utm_source=google&utm_medium=cpc&gclid=abc|google|cpc|abc|"+
					"www.google.com|google|cpc|(not set)|Paid Search|mobile|Chrome Mobile|120.0|Android|14")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en, err := NewEnricher(t.Context(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			e := tt.in
			en.Apply(&e)
			if msg := tt.want(e); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func expect(got, want string) string {
	if got != want {
		return "got " + got + ", want " + want
	}
	return ""
}

func TestNewEnricherErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"bad mode", Options{IPMode: "mask"}, "unknown IP mode"},
		{"hash without key", Options{IPMode: "hash"}, "needs HashKeyRef"},
		{"key unset", Options{IPMode: "hash", HashKeyRef: "env:ENRICH_TEST_UNSET_KEY"}, "ENRICH_TEST_UNSET_KEY is unset"},
		{"negative cache", Options{UACacheSize: -1}, "UACacheSize"},
		{"bad domain", Options{InternalDomains: []string{"example.com/shop"}}, "bad internal domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewEnricher(t.Context(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewEnricher error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEnricherConcurrent backs "safe for concurrent use" (run with -race).
func TestEnricherConcurrent(t *testing.T) {
	en, err := NewEnricher(t.Context(), Options{UACacheSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	events := benchEvents(enrichtest.UserAgents(40))
	want := make([]schemas.Event, len(events))
	for i, e := range events {
		en.Apply(&e)
		want[i] = e
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := range 200 {
				i := (g*7 + n) % len(events)
				e := events[i]
				en.Apply(&e)
				if !reflect.DeepEqual(e, want[i]) {
					t.Errorf("event %d enriched differently under concurrency", i)
					return
				}
			}
		})
	}
	wg.Wait()
}
