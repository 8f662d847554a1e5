package pages

import (
	"testing"

	"github.com/example/clickstream/transforms/enrich"
)

func TestBuild(t *testing.T) {
	key := enrich.PageKey
	events := []event{
		{key("shop.example.com", "/p/sku-1"), "shop.example.com", "/p/sku-1"},
		{key("shop.example.com", "/p/sku-1"), "shop.example.com", "/p/sku-1"},
		{key("shop.example.com", "/"), "shop.example.com", "/"},
		{key("shop", "/checkout/confirmation"), "shop", "/checkout/confirmation"},
		{"", "", ""},
	}
	rows := Build(events, enrich.DefaultPageTypes())
	if len(rows) != 3 {
		t.Fatalf("got %d pages, want 3 distinct: %+v", len(rows), rows)
	}
	want := map[string]string{"/p/sku-1": enrich.PageProduct, "/": enrich.PageHome, "/checkout/confirmation": enrich.PageConfirmation}
	for i, r := range rows {
		if r.PageType != want[r.Path] || r.PageKey != key(r.Host, r.Path) {
			t.Errorf("page %+v: want type %s and key %s", r, want[r.Path], key(r.Host, r.Path))
		}
		if i > 0 && rows[i-1].PageKey >= r.PageKey {
			t.Error("pages not sorted by key")
		}
	}
}
