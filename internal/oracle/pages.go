package oracle

import (
	"cmp"
	"slices"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

// Pages returns dim_pages for the events: one row per distinct page key,
// sorted by key, typed by the first rule of types whose pattern matches its
// path (an absent path matches as "").
func Pages(events []schemas.Event, types *enrich.PageTypes) []schemas.Page {
	seen := map[string]bool{}
	var rows []schemas.Page
	for _, e := range events {
		if e.PageKey == "" || seen[e.PageKey] {
			continue
		}
		seen[e.PageKey] = true
		rows = append(rows, schemas.Page{PageKey: e.PageKey, Host: e.PageHost, Path: e.PagePath, PageType: types.Type(e.PagePath)})
	}
	slices.SortFunc(rows, func(a, b schemas.Page) int { return cmp.Compare(a.PageKey, b.PageKey) })
	return rows
}
