package uapfilter

import (
	"regexp/syntax"
	"slices"
)

// A split of a pattern is the pattern rewritten once per alternative of its
// leading alternation, each rewrite in Go's syntax: "x(a|b)y" gives
// "x(a)y" and "x(b)y". A string has a match of the pattern if and only if
// it has a match of one of the rewrites, so a pattern whose replacements
// use no group ($1) gives the same result whichever rewrite matches.
//
// When only empty-width assertions come before the alternation (lead) and
// no alternative has a group of its own, the rewrites keep the pattern's
// groups and numbering, and Go's leftmost-first rule carries over: the
// pattern's match is that of the rewrite whose match starts leftmost, the
// earliest alternative on a tie. That rewrite's groups are the pattern's.
type split struct {
	exprs []string
	lead  bool
}

// splitPattern returns the split of expr, a pattern in Go's syntax whose
// replacement templates use no group if constant, at the first alternation
// on its spine: itself, the content of a group, or an element of a
// concatenation, recursively. There is no split (nil exprs) if expr has no
// such alternation or the split would not give its result.
func splitPattern(expr string, constant bool) (split, error) {
	re, err := syntax.Parse(expr, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		return split{}, err
	}
	alts, lead := alternatives(re)
	lead = lead && !slices.ContainsFunc(alts, func(r rewrite) bool { return hasCapture(r.alt) })
	if alts == nil || !lead && !constant {
		return split{}, nil
	}
	s := split{lead: lead}
	for _, a := range alts {
		s.exprs = append(s.exprs, a.String())
	}
	return s, nil
}

// rewrite is re with its leading alternation replaced by the alternative
// alt.
type rewrite struct {
	re, alt *syntax.Regexp
}

func (r rewrite) String() string { return r.re.String() }

// alternatives returns one rewrite of re per alternative of its leading
// alternation, and whether only empty-width assertions precede it.
func alternatives(re *syntax.Regexp) ([]rewrite, bool) {
	switch re.Op {
	case syntax.OpAlternate:
		out := make([]rewrite, len(re.Sub))
		for i, sub := range re.Sub {
			out[i] = rewrite{re: sub, alt: sub}
		}
		return out, true
	case syntax.OpCapture:
		inner, lead := alternatives(re.Sub[0])
		for i, r := range inner {
			c := *re
			c.Sub = []*syntax.Regexp{r.re}
			inner[i].re = &c
		}
		return inner, lead
	case syntax.OpConcat:
		lead := true
		for j, sub := range re.Sub {
			if inner, l := alternatives(sub); inner != nil {
				for i, r := range inner {
					c := *re
					c.Sub = slices.Clone(re.Sub)
					c.Sub[j] = r.re
					inner[i].re = &c
				}
				return inner, lead && l
			}
			if !emptyWidth(sub.Op) {
				lead = false
			}
		}
	}
	return nil, false
}

func emptyWidth(op syntax.Op) bool {
	switch op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return false
}

func hasCapture(re *syntax.Regexp) bool {
	return re.Op == syntax.OpCapture || slices.ContainsFunc(re.Sub, hasCapture)
}
