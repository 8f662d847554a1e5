package enrich

import (
	"slices"
	"strings"
	"testing"

	"github.com/example/clickstream/schemas"
)

// formatEnriched reduces an event to the fields an Enricher sets.
func formatEnriched(e schemas.Event) string {
	return strings.Join([]string{e.EventID, e.PageHost, e.PagePath, e.UTMSource, e.UTMMedium, e.GCLID, e.FBCLID,
		e.ReferrerHost, e.TrafficSource + "/" + e.TrafficMedium, e.DefaultChannelGroup, e.DeviceType, e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.IP,
		e.GeoCountry + "/" + e.GeoRegion + "/" + e.GeoCity + "/" + e.GeoContinent}, "|")
}

func TestEnricherModes(t *testing.T) {
	t.Setenv("ENRICH_MODES_KEY", "test-key-0123456789abcdef0123456")
	events := []schemas.Event{
		{
			EventID: "ad-click", IP: "198.51.100.23",
			PageURL:   "https://shop.example.com/p/sku-123?utm_source=google&utm_medium=cpc&gclid=abc",
			Referrer:  "https://www.google.com/",
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		},
		{
			EventID: "instagram", IP: "2001:db8:1234:5678::9",
			PageURL:   "https://shop.example.com/?fbclid=IwAR2x",
			Referrer:  "https://l.instagram.com/",
			UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 312.1.0.34.111 (iPhone15,2; iOS 17_2; en_US; en; scale=3.00; 1179x2556; 546596093)",
		},
		{
			EventID: "internal", IP: "not-an-ip",
			PageURL:   "https://shop.example.com/cart",
			Referrer:  "https://help.example.com/faq",
			UserAgent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		},
		{EventID: "app-screen", PageURL: "app://shop/home", UserAgent: "Shop/4.21.0 CFNetwork/1490.0.4 Darwin/23.2.0"},
	}
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{
			name: "truncate mode, geo from the address before truncation",
			opts: Options{InternalDomains: []string{"example.com"}, GeoDB: testGeoDB(t)},
			want: []string{
				"ad-click|shop.example.com|/p/sku-123|google|cpc|abc||www.google.com|google/cpc|Paid Search|desktop|Chrome|131.0|Windows|10|198.51.100.0|DE/Bavaria/Munich/EU",
				"instagram|shop.example.com|/||||IwAR2x|l.instagram.com|instagram/referral|Organic Social|mobile|Instagram|312.1|iOS|17.2|2001:db8:1234::|BR/São Paulo/São Paulo/SA",
				"internal|shop.example.com|/cart|||||help.example.com|(direct)/(none)|Direct|tablet|Chrome|131.0|Android|10||///",
				"app-screen|shop|/home||||||(direct)/(none)|Direct|mobile|Shop|4.21|iOS|17.2||///",
			},
		},
		{
			name: "hash mode, no internal domains, no geo database",
			opts: Options{IPMode: "hash", HashKeyRef: "env:ENRICH_MODES_KEY"},
			want: []string{
				"ad-click|shop.example.com|/p/sku-123|google|cpc|abc||www.google.com|google/cpc|Paid Search|desktop|Chrome|131.0|Windows|10|h:854fc9d95ffaaf94|///",
				"instagram|shop.example.com|/||||IwAR2x|l.instagram.com|instagram/referral|Organic Social|mobile|Instagram|312.1|iOS|17.2|h:78285cb83c44a86f|///",
				"internal|shop.example.com|/cart|||||help.example.com|help.example.com/referral|Referral|tablet|Chrome|131.0|Android|10||///",
				"app-screen|shop|/home||||||(direct)/(none)|Direct|mobile|Shop|4.21|iOS|17.2||///",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en, err := NewEnricher(t.Context(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range events { // e is a copy
				en.Apply(&e)
				got = append(got, formatEnriched(e))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("enriched:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestPaidAndShoppingPrefilter: isPaid and isShopping, which skip the
// regexp when a needed word is missing, agree with GA4's patterns.
func TestPaidAndShoppingPrefilter(t *testing.T) {
	for _, s := range []string{
		"", "cpc", "ppc", "ppc2", "retargeting", "paid", "paid_social", "xpaid", "cpm", "organic", "email",
		"shop", "shopping", "eshop", "workshop", "bshop", "summer_shop", "black friday shopping", "sho p",
		"cp\n", "ppc\nx", "shop\n", "SHOP", "paid\nsocial",
	} {
		if got, want := isPaid(s), paidMedium.MatchString(s); got != want {
			t.Errorf("isPaid(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := isShopping(s), shoppingCampaign.MatchString(s); got != want {
			t.Errorf("isShopping(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}
