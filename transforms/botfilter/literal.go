package botfilter

import (
	"regexp/syntax"
	"slices"
)

// Literal analysis for the user-agent prefilter.
//
// Running 1,500 patterns as one alternation costs Go's regexp engine about
// 2 ms per user agent (it has no DFA; every alternative is a thread at every
// byte), and one after the other about 100 µs. Nearly every pattern contains
// a literal that any match must contain ("Googlebot/", "bingbot"), so the
// matcher looks those literals up first and runs only the regexps of patterns
// whose literal occurs.

const (
	// maxLiteralSet bounds the strings one pattern expands to ("bots?" is
	// {"bot", "bots"}); beyond it the analysis gives up on that part.
	maxLiteralSet = 32
	// minLiteralLen is the shortest literal worth indexing; patterns whose
	// best literal is shorter are verified on every user agent.
	minLiteralLen = 3
)

// literals describes the strings a regexp matches.
type literals struct {
	// exact, when not nil, is every string the regexp can match.
	exact []string
	// required, when not nil, is a set such that every match contains one
	// of its strings.
	required []string
}

// requiredLiterals returns lower-cased (ASCII) strings such that every match
// of re contains at least one of them, or nil when no such set of useful
// strings can be derived.
func requiredLiterals(re *syntax.Regexp) []string {
	set := analyze(re).best()
	if score(set) < minLiteralLen {
		return nil
	}
	return set
}

// score rates a required set by its shortest member: longer literals filter
// better. An absent set scores -1.
func score(set []string) int {
	if set == nil {
		return -1
	}
	m := -1
	for _, s := range set {
		if m < 0 || len(s) < m {
			m = len(s)
		}
	}
	return m
}

func better(a, b []string) []string {
	sa, sb := score(a), score(b)
	if sa > sb || (sa == sb && len(a) <= len(b)) {
		return a
	}
	return b
}

func (l literals) best() []string { return better(l.exact, l.required) }

func analyze(re *syntax.Regexp) literals {
	fold := re.Flags&syntax.FoldCase != 0
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if fold && !isASCII(s) {
			return literals{} // Unicode case folding is beyond ASCII lowering
		}
		s = lowerASCII(s)
		return literals{exact: []string{s}, required: []string{s}}

	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= 0x80 || int(hi-lo) >= maxLiteralSet {
				return literals{}
			}
			for r := lo; r <= hi; r++ {
				set = append(set, lowerASCII(string(r)))
			}
		}
		set = dedupe(set)
		if len(set) == 0 || len(set) > 8 {
			return literals{}
		}
		return literals{exact: set, required: set}

	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		// Zero-width: matches only the empty string.
		return literals{exact: []string{""}}

	case syntax.OpCapture:
		return analyze(re.Sub[0])

	case syntax.OpQuest:
		sub := analyze(re.Sub[0])
		if sub.exact == nil || len(sub.exact)+1 > maxLiteralSet {
			return literals{}
		}
		return literals{exact: dedupe(append(slices.Clone(sub.exact), ""))}

	case syntax.OpPlus:
		return literals{required: analyze(re.Sub[0]).best()}

	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literals{required: analyze(re.Sub[0]).best()}
		}
		return literals{}

	case syntax.OpAlternate:
		var exact, required []string
		exactOK, requiredOK := true, true
		for _, sub := range re.Sub {
			a := analyze(sub)
			if a.exact == nil {
				exactOK = false
			} else {
				exact = append(exact, a.exact...)
			}
			if b := a.best(); score(b) <= 0 {
				requiredOK = false
			} else {
				required = append(required, b...)
			}
		}
		var out literals
		if exactOK && len(exact) <= maxLiteralSet {
			out.exact = dedupe(exact)
		}
		if requiredOK && len(required) <= maxLiteralSet {
			out.required = dedupe(required)
		}
		return out

	case syntax.OpConcat:
		// Adjacent parts with exact sets multiply into longer literals (a
		// "run"); any run, or any part's own required set, is required for
		// the whole. Keep the best.
		var best []string
		run := []string{""}
		whole := true // the run still covers every part so far
		for _, sub := range re.Sub {
			a := analyze(sub)
			if a.exact != nil && len(run)*len(a.exact) <= maxLiteralSet {
				run = product(run, a.exact)
				continue
			}
			whole = false
			best = better(run, best)
			if a.exact != nil {
				run = slices.Clone(a.exact)
				continue
			}
			best = better(a.required, best)
			run = []string{""}
		}
		best = better(run, best)
		out := literals{required: best}
		if whole {
			out.exact = run
		}
		return out
	}
	// OpAnyChar, OpAnyCharNotNL, OpStar, OpNoMatch: nothing required.
	return literals{}
}

func product(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return dedupe(out)
}

func dedupe(set []string) []string {
	slices.Sort(set)
	return slices.Compact(set)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases ASCII letters only, so that byte offsets and
// containment are preserved: if s contains t, lowerASCII(s) contains
// lowerASCII(t).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// appendLowerASCII appends s lower-cased like lowerASCII to dst.
func appendLowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
