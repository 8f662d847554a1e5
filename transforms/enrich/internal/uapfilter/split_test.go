package uapfilter

import (
	"slices"
	"strings"
	"testing"
)

// TestSplitPattern checks splits worked out by hand.
func TestSplitPattern(t *testing.T) {
	const alts = "ab|cd|ef"
	each := func(format string, upper bool) []string {
		var out []string
		for _, a := range strings.Split(alts, "|") {
			if upper {
				a = strings.ToUpper(a) // String writes case-folded literals so
			}
			out = append(out, strings.ReplaceAll(format, "ALT", a))
		}
		return out
	}
	for _, tc := range []struct {
		expr     string
		constant bool
		exprs    []string
		lead     bool
	}{
		{`(` + alts + `)x`, false, each(`(ALT)x`, false), true},
		{`\b(` + alts + `)x`, false, each(`\b(ALT)x`, false), true},
		// Text before the alternation: a split only without groups in the
		// templates, and without lead.
		{`y(` + alts + `)`, false, nil, false},
		{`y(` + alts + `)`, true, each(`y(ALT)`, false), false},
		{`(?i)^.{0,3}(` + alts + `)`, true, each(`(?i-s:\A.{0,3}(ALT))`, true), false},
		// A group inside an alternative.
		{`((a)b|` + alts + `)`, false, nil, false},
		// No alternation on the spine.
		{`abc`, true, nil, false},
		{`a(?:bc|de)*`, true, nil, false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := splitPattern(tc.expr, tc.constant)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.exprs, tc.exprs) || s.lead != tc.lead {
				t.Errorf("got %q lead %v, want %q lead %v", s.exprs, s.lead, tc.exprs, tc.lead)
			}
		})
	}
}
