package enrich

import (
	"slices"
	"strings"
	"testing"

	"github.com/example/clickstream/schemas"
)

func TestPageTypes(t *testing.T) {
	pt := DefaultPageTypes()
	tests := map[string]string{
		"/":                       PageHome,
		"":                        PageHome,
		"/c/shoes":                PageCategory,
		"/p/sku-123":              PageProduct,
		"/search":                 PageSearch,
		"/cart":                   PageCart,
		"/checkout":               PageCheckout,
		"/checkout/step-2":        PageCheckout,
		"/checkout/confirmation":  PageConfirmation,
		"/checkout/thank-you":     PageConfirmation,
		"/about-us":               PageOther,
		"/product-care/guide":     PageOther,
		"/cartography/maps":       PageOther,
		"/collections/summer-top": PageCategory,
	}
	for path, want := range tests {
		if got := pt.Type(path); got != want {
			t.Errorf("Type(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestParsePageTypes(t *testing.T) {
	pt, err := ParsePageTypes(strings.NewReader("# custom\nlanding ^/lp/\n\nproduct ^/shop/[^/]+$\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := pt.Type("/lp/black-friday"); got != "landing" {
		t.Errorf("custom rule: got %q", got)
	}
	if got := pt.Type("/"); got != PageOther {
		t.Errorf("custom rules replace the defaults: / is %q, want other", got)
	}
	want := []schemas.PageTypeRule{{Type: "landing", Pattern: "^/lp/"}, {Type: "product", Pattern: "^/shop/[^/]+$"}}
	if got := pt.Rules(); !slices.Equal(got, want) {
		t.Errorf("Rules() = %v, want %v", got, want)
	}
	for _, bad := range []string{"product", "product (", "x [z"} {
		if _, err := ParsePageTypes(strings.NewReader(bad)); err == nil {
			t.Errorf("ParsePageTypes(%q) did not fail", bad)
		}
	}
}

func TestPageKey(t *testing.T) {
	a := PageKey("shop.example.com", "/p/sku-1")
	if len(a) != 16 || a != PageKey("shop.example.com", "/p/sku-1") {
		t.Errorf("PageKey not a stable 16-digit key: %q", a)
	}
	if a == PageKey("shop.example.com", "/p/sku-2") || a == PageKey("m.example.com", "/p/sku-1") {
		t.Error("different pages share a key")
	}
	if PageKey("", "") != "" {
		t.Error("no page must give no key")
	}
}
