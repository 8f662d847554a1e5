package enrich_test

import (
	"context"
	"fmt"
	"log"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

func ExampleEnricher() {
	en, err := enrich.NewEnricher(context.Background(), enrich.Options{InternalDomains: []string{"example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	e := schemas.Event{
		PageURL:   "https://shop.example.com/p/sku-123?utm_source=newsletter&utm_medium=email&utm_campaign=winter",
		Referrer:  "https://mail.google.com/",
		UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
		IP:        "198.51.100.23",
	}
	en.Apply(&e)
	fmt.Println(e.PageHost, e.PagePath, e.UTMCampaign)
	fmt.Println(e.ReferrerHost, e.TrafficSource, e.TrafficMedium, e.DefaultChannelGroup)
	fmt.Println(e.DeviceType, e.Browser, e.BrowserVersion, e.OS, e.OSVersion)
	fmt.Println(e.IP)
	// Output:
	// shop.example.com /p/sku-123 winter
	// mail.google.com newsletter email Email
	// mobile Mobile Safari 17.2 iOS 17.2
	// 198.51.100.0
}

func ExampleParsePage() {
	p := enrich.ParsePage("https://Shop.Example.com/c/shoes?utm_source=bing&utm_medium=cpc&msclkid=7f3a#top")
	fmt.Println(p.Host, p.Path, p.Query)
	fmt.Println(p.UTMSource, p.UTMMedium, p.MSCLKID)
	// Output:
	// shop.example.com /c/shoes utm_source=bing&utm_medium=cpc&msclkid=7f3a
	// bing cpc 7f3a
}
