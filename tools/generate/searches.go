// Search results: how many results a search showed, and their truth.

package generate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// resultsCount is the results_count a search event is sent with: 0 for
// about 8 % of searches (21 in 256), else 1-240. It is drawn from the
// event's random id rather than from the generator's stream, so that adding
// it changed no other figure of the samples.
func resultsCount(e *event) int64 {
	if e.id[0] < 21 {
		return 0
	}
	return 1 + (int64(e.id[1])<<8|int64(e.id[2]))%240
}

// searchTruth is a line of truth_searches.jsonl.
type searchTruth struct {
	// Query is the normalized search_query: lower case, spaces trimmed
	// and collapsed.
	Query       string `json:"query"`
	Searches    int    `json:"searches"`
	ZeroResults int    `json:"zero_results"`
}

// normalizeQuery is the normalization of searchTruth.Query.
func normalizeQuery(q string) string { return strings.Join(strings.Fields(strings.ToLower(q)), " ") }

// writeSearchTruth writes truth_searches.jsonl: per normalized query, the
// accepted search events (records judged outEvent) and how many of them
// had no result, sorted by query.
func (g *gen) writeSearchTruth(recs []record) error {
	byQuery := map[string]*searchTruth{}
	for _, r := range recs {
		if r.outcome != outEvent || g.events[r.ev].typ != evSearch {
			continue
		}
		e := &g.events[r.ev]
		q := normalizeQuery(g.cat.terms[e.query])
		t := byQuery[q]
		if t == nil {
			t = &searchTruth{Query: q}
			byQuery[q] = t
		}
		t.Searches++
		if resultsCount(e) == 0 {
			t.ZeroResults++
		}
	}
	fh, err := g.create("truth_searches.jsonl")
	if err != nil {
		return err
	}
	defer fh.Close()
	bw := bufio.NewWriter(fh)
	enc := json.NewEncoder(bw)
	for _, q := range slices.Sorted(func(yield func(string) bool) {
		for q := range byQuery {
			if !yield(q) {
				return
			}
		}
	}) {
		if err := enc.Encode(byQuery[q]); err != nil {
			return fmt.Errorf("write search truth: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write search truth: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write search truth: %w", err)
	}
	return nil
}
