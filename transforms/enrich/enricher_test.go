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

func TestClassify(t *testing.T) {
	c, err := NewClassifier([]string{"*.Example.com."})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, page, referrer, wantHost, wantClass string
	}{
		{"no referrer, no tags", "https://shop.example.com/", "", "", ClassDirect},
		{"tags beat the referrer: click id", "https://shop.example.com/?gclid=x", "https://www.bing.com/", "www.bing.com", ClassPaid},
		{"tags beat the referrer: medium", "https://shop.example.com/?utm_medium=email", "https://www.google.com/", "www.google.com", ClassEmail},
		{"paid medium prefix", "https://shop.example.com/?utm_medium=Paid-Search", "", "", ClassPaid},
		{"click id beats the medium", "https://shop.example.com/?utm_medium=email&msclkid=1", "", "", ClassPaid},
		{"social medium", "https://shop.example.com/?utm_medium=social-media", "", "", ClassSocial},
		{"organic medium", "https://shop.example.com/?utm_medium=organic&utm_source=bing", "", "", ClassSearch},
		{"unknown medium", "https://shop.example.com/?utm_medium=qr&utm_source=poster", "", "", ClassReferral},
		{"source only", "https://shop.example.com/?utm_source=partner", "https://www.google.com/", "www.google.com", ClassReferral},
		{"fbclid alone is social, not paid", "https://shop.example.com/?fbclid=x", "", "", ClassSocial},
		{"same host", "https://shop.example.com/b", "https://shop.example.com/a", "shop.example.com", ClassInternal},
		{"internal domain", "https://shop.example.com/b", "https://help.example.com/", "help.example.com", ClassInternal},
		{"not a subdomain", "https://shop.example.com/b", "https://notexample.com/", "notexample.com", ClassReferral},
		{"search", "https://shop.example.com/", "https://www.google.com.br/", "www.google.com.br", ClassSearch},
		{"google product, not search", "https://shop.example.com/", "https://docs.google.com/", "docs.google.com", ClassReferral},
		{"webmail", "https://shop.example.com/", "https://mail.google.com/", "mail.google.com", ClassEmail},
		{"social", "https://shop.example.com/", "https://lm.facebook.com/l.php", "lm.facebook.com", ClassSocial},
		{"app referrer", "https://shop.example.com/", "android-app://com.google.android.gm/", "com.google.android.gm", ClassEmail},
		{"other site", "https://shop.example.com/", "https://blog.example.org/", "blog.example.org", ClassReferral},
		{"referrer without host", "https://shop.example.com/", "about:blank", "", ClassDirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, class := c.Classify(ParsePage(tt.page), tt.referrer)
			if host != tt.wantHost || class != tt.wantClass {
				t.Errorf("Classify(%q, %q) = %q, %q; want %q, %q", tt.page, tt.referrer, host, class, tt.wantHost, tt.wantClass)
			}
		})
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
				return expect(e.TrafficClass, ClassInternal)
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
					e.ReferrerHost, e.TrafficClass, e.DeviceType, e.Browser, e.BrowserVersion, e.OS, e.OSVersion}, "|")
				return expect(got, "shop.example.com|/p/sku-123|utm_source=google&utm_medium=cpc&gclid=abc|google|cpc|abc|"+
					"www.google.com|paid|mobile|Chrome Mobile|120.0|Android|14")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en, err := NewEnricher(tt.opts)
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
			_, err := NewEnricher(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewEnricher error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEnricherConcurrent backs "safe for concurrent use" (run with -race).
func TestEnricherConcurrent(t *testing.T) {
	en, err := NewEnricher(Options{UACacheSize: 8})
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
