package uapfilter

import (
	"slices"
	"testing"
)

// TestSplitPattern checks splits worked out by hand.
func TestSplitPattern(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		exprs []string
		lead  bool
	}{
		{`(a|bc)d`, []string{`(a)d`, `(bc)d`}, true},
		{`\b(ab|cd)e`, []string{`\b(ab)e`, `\b(cd)e`}, true},
		// Text before the alternation, or a group inside it: no lead.
		{`x(ab|cd)`, []string{`x(ab)`, `x(cd)`}, false},
		{`((a)b|cd)`, []string{`((a)b)`, `(cd)`}, false},
		{`(?i)^.{0,3}(ab|cd)`, []string{`(?i-s:\A.{0,3}(AB))`, `(?i-s:\A.{0,3}(CD))`}, false},
		{`abc`, nil, false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := splitPattern(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.exprs, tc.exprs) || s.lead != tc.lead {
				t.Errorf("got %q lead %v, want %q lead %v", s.exprs, s.lead, tc.exprs, tc.lead)
			}
		})
	}
}
