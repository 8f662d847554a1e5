// Package pages builds dim_pages, the conformed page dimension.
//
// fact_events.page_key, fact_sessions.landing_page_key and exit_page_key are
// all enrich.PageKey(host, path), so both facts join to the same pages.
// After each run's commit the driver calls Apply, which rebuilds dim_pages
// whole from every committed fact_events partition and classifies each page
// with the page-type rules (enrich.PageTypes: built-in or --page_types_file).
// Rebuilding from the warehouse makes the result independent of which runs
// brought which pages, and a change of rules reaches every page.
package pages

import (
	"fmt"
	"sort"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

// event is the narrow read of fact_events that pages need.
type event struct {
	PageKey  string `parquet:"page_key,optional"`
	PageHost string `parquet:"page_host,optional"`
	PagePath string `parquet:"page_path,optional"`
}

// Build returns one dim_pages row per distinct page key, sorted by key.
func Build(events []event, types *enrich.PageTypes) []schemas.Page {
	seen := map[string]schemas.Page{}
	for _, e := range events {
		if e.PageKey == "" {
			continue
		}
		if _, ok := seen[e.PageKey]; !ok {
			seen[e.PageKey] = schemas.Page{PageKey: e.PageKey, Host: e.PageHost, Path: e.PagePath, PageType: types.Type(e.PagePath)}
		}
	}
	rows := make([]schemas.Page, 0, len(seen))
	for _, p := range seen {
		rows = append(rows, p)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].PageKey < rows[j].PageKey })
	return rows
}

// Apply rebuilds dim_pages in the warehouse at out from its fact_events and
// commits it under runID; it returns the number of pages.
func Apply(out, runID string, types *enrich.PageTypes) (int, error) {
	events, err := warehouse.ReadRows[event](out, "fact_events", nil)
	if err != nil {
		return 0, fmt.Errorf("pages: %w", err)
	}
	rows := Build(events, types)
	if err := warehouse.Stage(out, runID, "dim_pages", rows); err != nil {
		return 0, fmt.Errorf("pages: %w", err)
	}
	if _, err := warehouse.Commit(out, runID, nil); err != nil {
		return 0, fmt.Errorf("pages: %w", err)
	}
	return len(rows), nil
}
