package uapfilter

import (
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Bounds of the literal analysis: small enough to stay cheap, large enough
// for uap-core's alternations of brand names.
const (
	maxExact      = 16 // strings in an exact set (cross products of concatenations)
	maxClause     = 1024// strings in one clause
	maxClassRunes = 32 // runes of a character class still enumerated
	minLiteral    = 3  // shorter literals occur in most user agents: not worth a clause
)

// A requirement is what any match of a pattern contains: for each clause,
// at least one of its literals. Literals are folded (fold); no clause means
// the pattern is always a candidate.
type requirement [][]string

// required returns the requirement of expr, a pattern in Go's syntax, or an
// error if expr does not parse.
func required(expr string) (requirement, error) {
	re, err := syntax.Parse(expr, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		return nil, err
	}
	in := analyze(re)
	if in.exact != nil {
		return requirement(keepClauses([][]string{in.exact})), nil
	}
	return requirement(keepClauses(in.clauses)), nil
}

// info is what the analysis knows of a node: either the finite set of
// strings it matches (exact, non-nil), or clauses that each match satisfies.
type info struct {
	exact   []string
	clauses [][]string
}

var empty = info{exact: []string{""}}

func analyze(re *syntax.Regexp) info {
	if emptyWidth(re.Op) {
		return empty
	}
	switch re.Op {
	case syntax.OpLiteral:
		return literal(re.Rune)
	case syntax.OpCharClass:
		return class(re.Rune)
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpQuest:
		return optional(analyze(re.Sub[0]))
	case syntax.OpPlus:
		return info{clauses: clausesOf(analyze(re.Sub[0]))}
	case syntax.OpRepeat:
		sub := analyze(re.Sub[0])
		switch {
		case re.Min == 1 && re.Max == 1:
			return sub
		case re.Min >= 1:
			return info{clauses: clausesOf(sub)}
		case re.Max == 1:
			return optional(sub)
		}
		return info{}
	case syntax.OpConcat:
		return concat(re.Sub)
	case syntax.OpAlternate:
		return alternate(re.Sub)
	}
	// OpStar, OpAnyChar, OpAnyCharNotNL, OpNoMatch: nothing required.
	return info{}
}

// literal: a literal with a rune fold cannot express (outside ASCII) is
// not exact, but each run of foldable runes around it is still required.
func literal(runes []rune) info {
	var clauses [][]string
	var run []byte
	for _, r := range runes {
		if b, ok := fold(r); ok {
			run = append(run, b)
			continue
		}
		clauses = append(clauses, []string{string(run)})
		run = run[:0]
	}
	if clauses == nil {
		return info{exact: []string{string(run)}}
	}
	return info{clauses: append(clauses, []string{string(run)})}
}

// class: a small character class is an exact set of one-byte strings.
func class(ranges []rune) info {
	var set []string
	n := 0
	for i := 0; i < len(ranges); i += 2 {
		n += int(ranges[i+1]-ranges[i]) + 1
		if n > maxClassRunes {
			return info{}
		}
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			b, ok := fold(r)
			if !ok {
				return info{}
			}
			set = append(set, string(b))
		}
	}
	return info{exact: dedup(set)}
}

func optional(sub info) info {
	if sub.exact != nil && len(sub.exact) < maxExact {
		return info{exact: dedup(append(slices.Clone(sub.exact), ""))}
	}
	return info{}
}

// concat joins runs of exact subexpressions by cross product while the
// product stays small; each run and each other subexpression's clauses are
// required.
func concat(subs []*syntax.Regexp) info {
	var clauses [][]string
	run, exact := []string{""}, true
	for _, sub := range subs {
		in := analyze(sub)
		if in.exact != nil && len(run)*len(in.exact) <= maxExact {
			run = cross(run, in.exact)
			continue
		}
		exact = false
		clauses = append(clauses, run)
		run = []string{""}
		if in.exact != nil {
			run = in.exact
		} else {
			clauses = append(clauses, in.clauses...)
		}
	}
	if exact {
		return info{exact: run}
	}
	return info{clauses: append(clauses, run)}
}

// alternate: a union of exact sets stays exact; otherwise one clause, the
// union of each alternative's best clause, if every alternative has one.
func alternate(subs []*syntax.Regexp) info {
	var union []string
	exact := true
	for _, sub := range subs {
		in := analyze(sub)
		if in.exact != nil {
			union = append(union, in.exact...)
			continue
		}
		exact = false
		best := bestClause(keepClauses(in.clauses))
		if best == nil {
			return info{}
		}
		union = append(union, best...)
	}
	union = dedup(union)
	if exact && len(union) <= maxExact {
		return info{exact: union}
	}
	return info{clauses: [][]string{union}}
}

func clausesOf(in info) [][]string {
	if in.exact != nil {
		return [][]string{in.exact}
	}
	return in.clauses
}

// keepClauses drops the clauses too weak to be worth checking: those with
// a literal shorter than minLiteral (including "", which every string
// contains) or with too many literals.
func keepClauses(clauses [][]string) [][]string {
	var kept [][]string
	for _, c := range clauses {
		if len(c) > maxClause || slices.ContainsFunc(c, func(s string) bool { return len(s) < minLiteral }) {
			continue
		}
		kept = append(kept, dedup(c))
	}
	return kept
}

// bestClause returns the most selective clause by a rule of thumb: longest
// shortest literal, then fewest literals.
func bestClause(clauses [][]string) []string {
	var best []string
	bestMin := 0
	for _, c := range clauses {
		m := len(slices.MinFunc(c, func(a, b string) int { return len(a) - len(b) }))
		if best == nil || m > bestMin || m == bestMin && len(c) < len(best) {
			best, bestMin = c, m
		}
	}
	return best
}

func cross(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return dedup(out)
}

func dedup(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// fold maps r to the byte that stands for it in folded text: ASCII letters
// lower-cased, the runes that case-fold to an ASCII letter (the Kelvin sign
// and the long s) to that letter. Other runes outside ASCII have no byte: no
// literal contains them.
func fold(r rune) (byte, bool) {
	if r < utf8.RuneSelf {
		return byte(unicode.ToLower(r)), true
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return byte(unicode.ToLower(f)), true
		}
	}
	return 0, false
}

// folded returns s as the automaton reads it: each rune folded, or a byte
// that no literal contains (0x80) when it has no fold.
func folded(s string, buf []byte) []byte {
	buf = buf[:0]
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		b, ok := fold(r)
		if !ok {
			b = utf8.RuneSelf
		}
		buf = append(buf, b)
		i += n
	}
	return buf
}
