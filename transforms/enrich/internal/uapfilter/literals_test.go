package uapfilter

import (
	"slices"
	"testing"
)

// TestRequired checks requirements worked out by hand.
func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		fold    bool
		clauses [][]string
	}{
		// The junction of "HbbTV/" and \d+ implies "HbbTV/" alone.
		{`(HbbTV)/(\d+)`, false, [][]string{{"HbbTV/0", "HbbTV/1", "HbbTV/2", "HbbTV/3", "HbbTV/4", "HbbTV/5", "HbbTV/6", "HbbTV/7", "HbbTV/8", "HbbTV/9"}}},
		{`(?i)bot`, true, [][]string{{"bot"}}},
		{`Foo.*Bar`, false, [][]string{{"Foo"}, {"Bar"}}},
		{`Ca[tr]s`, false, [][]string{{"Cars", "Cats"}}},
		{`(Edge?|Firefox)/`, false, [][]string{{"Edg/", "Edge/", "Firefox/"}}},
		// "x" alone is too short to check.
		{`x(?:abc)?`, false, nil},
		{`^(?:a|b)`, false, nil},
		// The Kelvin sign folds to k; ü has no ASCII fold and breaks the run.
		{`(?i)\x{212A}elvin`, true, [][]string{{"kelvin"}}},
		{`Münch`, false, [][]string{{"Münch"}}},
		{`(?i)Münch`, true, [][]string{{"nch"}}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			req, err := required(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if req.fold != tc.fold || !slices.EqualFunc(req.clauses, tc.clauses, slices.Equal) {
				t.Errorf("got fold %v %q, want fold %v %q", req.fold, req.clauses, tc.fold, tc.clauses)
			}
		})
	}
}

// TestFolded checks the text folded literals are looked up in.
func TestFolded(t *testing.T) {
	got := string(folded(nil, "Mozilla \u212Aé\u017F"))
	if want := "mozilla k\x80s"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
