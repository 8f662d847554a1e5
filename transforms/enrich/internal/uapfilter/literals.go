package uapfilter

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of the literal analysis: small enough to stay cheap, large enough
// for uap-core's alternations of brand names.
const (
	maxExact      = 16   // strings in an exact set (cross products of concatenations)
	maxSet        = 64   // strings in a prefix, suffix or junction set
	maxClause     = 1024 // strings in one clause of a requirement
	maxClassRunes = 32   // runes of a character class still enumerated
	minLiteral    = 2    // a clause with a shorter literal is too weak to check
	maxLiteral    = 16   // bytes of a literal the automaton looks for
)

// A requirement is what any match of a pattern contains: for each clause,
// at least one of its literals; no clause means the pattern is always a
// candidate. Literals are raw text (fold false) or folded (fold true).
type requirement struct {
	fold    bool
	clauses [][]string
}

// required returns the requirement of expr, a pattern in Go's syntax, or an
// error if expr does not parse. A pattern with a case-insensitive part has
// folded literals (fold), over-approximating its case-sensitive parts; any
// other has raw ones.
func required(expr string) (requirement, error) {
	re, err := syntax.Parse(expr, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		return requirement{}, err
	}
	a := analyzer{fold: foldsCase(re)}
	clauses := withSets(a.analyze(re))
	for i, c := range clauses {
		clauses[i] = truncated(c)
	}
	return requirement{fold: a.fold, clauses: prune(clauses)}, nil
}

// truncated returns the literals of a clause cut to maxLiteral bytes: a
// literal's start occurs wherever it does, and the automaton stays small.
func truncated(clause []string) []string {
	out := make([]string, len(clause))
	for i, s := range clause {
		out[i] = s[:min(len(s), maxLiteral)]
	}
	return out
}

func foldsCase(re *syntax.Regexp) bool {
	return re.Flags&syntax.FoldCase != 0 || slices.ContainsFunc(re.Sub, foldsCase)
}

// info is what the analysis knows of a node's matches: that each is one of
// exact (unless nil), starts with one of prefix, ends with one of suffix,
// and contains one literal of each clause. An unknown prefix or suffix is
// {""}.
type info struct {
	exact, prefix, suffix []string
	clauses               [][]string
}

var unknown = info{prefix: []string{""}, suffix: []string{""}}

func exactly(set []string) info {
	return info{exact: set, prefix: set, suffix: set}
}

// analyzer reads a pattern's literals as raw text or folded (fold).
type analyzer struct {
	fold bool
}

func (a analyzer) analyze(re *syntax.Regexp) info {
	if emptyWidth(re.Op) {
		return exactly([]string{""})
	}
	switch re.Op {
	case syntax.OpLiteral:
		return a.literal(re.Rune)
	case syntax.OpCharClass:
		return a.class(re.Rune)
	case syntax.OpCapture:
		return a.analyze(re.Sub[0])
	case syntax.OpQuest:
		return optional(a.analyze(re.Sub[0]))
	case syntax.OpPlus:
		return atLeastOnce(a.analyze(re.Sub[0]))
	case syntax.OpRepeat:
		sub := a.analyze(re.Sub[0])
		switch {
		case re.Min == 1 && re.Max == 1:
			return sub
		case re.Min >= 1:
			return atLeastOnce(sub)
		case re.Max == 1:
			return optional(sub)
		}
	case syntax.OpConcat:
		in := exactly([]string{""})
		for _, sub := range re.Sub {
			in = concat(in, a.analyze(sub))
		}
		return in
	case syntax.OpAlternate:
		subs := make([]info, len(re.Sub))
		for i, sub := range re.Sub {
			subs[i] = a.analyze(sub)
		}
		return alternate(subs)
	}
	// OpStar, OpAnyChar, OpAnyCharNotNL, OpNoMatch, a repeat from zero.
	return unknown
}

// literal: a rune that has no byte (see text) ends one exact run and
// starts the next.
func (a analyzer) literal(runes []rune) info {
	in, run := exactly([]string{""}), []byte{}
	for _, r := range runes {
		if b, ok := a.text(r); ok {
			run = append(run, b...)
			continue
		}
		in = concat(concat(in, exactly([]string{string(run)})), unknown)
		run = run[:0]
	}
	return concat(in, exactly([]string{string(run)}))
}

// class: a small character class is an exact set of one-rune strings.
func (a analyzer) class(ranges []rune) info {
	var set []string
	n := 0
	for i := 0; i < len(ranges); i += 2 {
		n += int(ranges[i+1]-ranges[i]) + 1
		if n > maxClassRunes {
			return unknown
		}
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			b, ok := a.text(r)
			if !ok {
				return unknown
			}
			set = append(set, string(b))
		}
	}
	return exactly(dedup(set))
}

// text returns the bytes that stand for r in the text literals are looked
// up in: its UTF-8 encoding, or its fold. The replacement character has
// none (the regexp matches it on invalid UTF-8), nor has a rune without a
// fold in folded text.
func (a analyzer) text(r rune) ([]byte, bool) {
	if !a.fold {
		return utf8.AppendRune(nil, r), r != utf8.RuneError
	}
	b, ok := fold(r)
	return []byte{b}, ok
}

func optional(sub info) info {
	if sub.exact != nil && len(sub.exact) < maxExact {
		return exactly(dedup(append(slices.Clone(sub.exact), "")))
	}
	return unknown
}

// atLeastOnce is x+: the prefixes and suffixes of x, and x's clauses.
func atLeastOnce(sub info) info {
	return info{prefix: sub.prefix, suffix: sub.suffix, clauses: withSets(sub)}
}

// withSets returns the clauses of in and its sets, each of which also is a
// clause.
func withSets(in info) [][]string {
	out := append(slices.Clone(in.clauses), in.prefix, in.suffix)
	if in.exact != nil {
		out = append(out, in.exact)
	}
	return out
}

// concat is xy: exact while the cross product stays small; otherwise x's
// prefixes (extended by y's while x is exact), y's suffixes (likewise), the
// clauses and sets of both, and the junction: x's suffixes crossed with y's
// prefixes.
func concat(x, y info) info {
	if x.exact != nil && y.exact != nil && len(x.exact)*len(y.exact) <= maxExact {
		return exactly(cross(x.exact, y.exact))
	}
	out := info{prefix: x.prefix, suffix: y.suffix, clauses: append(withSets(x), withSets(y)...)}
	if x.exact != nil && len(x.exact)*len(y.prefix) <= maxSet {
		out.prefix = cross(x.exact, y.prefix)
	}
	if y.exact != nil && len(x.suffix)*len(y.exact) <= maxSet {
		out.suffix = cross(x.suffix, y.exact)
	}
	if len(x.suffix)*len(y.prefix) <= maxSet {
		out.clauses = append(out.clauses, cross(x.suffix, y.prefix))
	}
	out.clauses = prune(out.clauses)
	return out
}

// alternate is x|y|...: the union of exact sets while small; otherwise the
// unions of prefixes and suffixes, and one clause: the union of each
// alternative's best clause, if each has one.
func alternate(subs []info) info {
	var exact, prefix, suffix, clause []string
	allExact, allClauses := true, true
	for _, sub := range subs {
		allExact = allExact && sub.exact != nil
		exact = append(exact, sub.exact...)
		prefix = append(prefix, sub.prefix...)
		suffix = append(suffix, sub.suffix...)
		best := bestClause(prune(withSets(sub)))
		allClauses = allClauses && best != nil
		clause = append(clause, best...)
	}
	exact = dedup(exact)
	if allExact && len(exact) <= maxExact {
		return exactly(exact)
	}
	out := info{prefix: dedup(prefix), suffix: dedup(suffix)}
	if allClauses {
		out.clauses = [][]string{dedup(clause)}
	}
	return out
}

// prune drops the clauses too weak to check (a literal shorter than
// minLiteral, which includes "", or more than maxClause literals) and those
// implied by another.
func prune(clauses [][]string) [][]string {
	var kept [][]string
	for _, c := range clauses {
		if len(c) > maxClause || slices.ContainsFunc(c, func(s string) bool { return len(s) < minLiteral }) {
			continue
		}
		kept = append(kept, dedup(c))
	}
	var out [][]string
	for i, c := range kept {
		implied := false
		for j, d := range kept {
			if j != i && implies(d, c) && (j < i || !implies(c, d)) {
				implied = true
				break
			}
		}
		if !implied {
			out = append(out, c)
		}
	}
	return out
}

// implies reports whether clause d holding means that clause c holds: each
// literal of d contains one of c. Large pairs are not compared.
func implies(d, c []string) bool {
	if len(d)*len(c) > maxSet*maxSet {
		return false
	}
	for _, s := range d {
		if !slices.ContainsFunc(c, func(t string) bool { return strings.Contains(s, t) }) {
			return false
		}
	}
	return true
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

// folded appends s to buf as folded literals are looked up in it: each rune
// folded, or a byte that no literal contains (0x80) when it has no fold.
func folded(buf []byte, s string) []byte {
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
