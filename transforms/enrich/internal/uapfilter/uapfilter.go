package uapfilter

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/coregx/ahocorasick"
	"github.com/ua-parser/uap-go/uaparser"
)

// Parser parses user agents as a uap-go parser of uap-core's bundled
// patterns does, without its cache. It is safe for concurrent use.
type Parser struct {
	literals *ahocorasick.Automaton
	nLiteral int
	// parts holds uap-go's patterns in uap-core's order, each split pattern
	// replaced by its rewrites: copies of the pattern matching one rewrite.
	parts          uaparser.RegexDefinitions
	ua, os, device kind
}

// kind is how the Parser runs the patterns of one kind (user agent, OS,
// device): patterns in uap-core's order, each over a run of parts.
type kind struct {
	patterns []pattern
	parts    []part
}

// pattern is a uap-core pattern: the parts [first, end) of its kind, one
// part if it is not split.
type pattern struct {
	first, end int
	leftmost   bool // a split with lead: the leftmost match wins
}

// part is one regexp the Parser runs and the literals it requires.
type part struct {
	check check
	re    *regexp.Regexp
}

// check is a requirement with literals as automaton pattern ids: for each
// clause, one of its literals occurs.
type check [][]int

func (c check) holds(found []bool) bool {
	for _, clause := range c {
		ok := false
		for _, id := range clause {
			if found[id] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// New compiles uap-core's patterns bundled with uap-go (through uap-go),
// their splits and the literal automaton.
func New() (*Parser, error) {
	up, err := uaparser.New(uaparser.WithCacheSize(1)) // its cache is never used
	if err != nil {
		return nil, fmt.Errorf("uapfilter: uap-go parser: %w", err)
	}
	defs := up.RegexDefinitions
	p := &Parser{}
	lits := &literalIDs{}
	p.ua, p.parts.UA, err = compile(defs.UA, lits,
		func(i int) source {
			d := defs.UA[i]
			return source{d.Reg, []string{d.FamilyReplacement, d.V1Replacement, d.V2Replacement, d.V3Replacement}}
		},
		func(i int, re *regexp.Regexp) any { c := defs.UA[i].Clone(); c.Reg = re; return c })
	if err != nil {
		return nil, err
	}
	p.os, p.parts.OS, err = compile(defs.OS, lits,
		func(i int) source {
			d := defs.OS[i]
			return source{d.Reg, []string{d.OSReplacement, d.V1Replacement, d.V2Replacement, d.V3Replacement, d.V4Replacement}}
		},
		func(i int, re *regexp.Regexp) any { c := defs.OS[i].Clone(); c.Reg = re; return c })
	if err != nil {
		return nil, err
	}
	p.device, p.parts.Device, err = compile(defs.Device, lits,
		func(i int) source {
			d := defs.Device[i]
			return source{d.Reg, []string{d.DeviceReplacement, d.BrandReplacement, d.ModelReplacement}}
		},
		func(i int, re *regexp.Regexp) any { c := defs.Device[i].Clone(); c.Reg = re; return c })
	if err != nil {
		return nil, err
	}
	p.literals, err = ahocorasick.NewBuilder().AddStrings(lits.list).Build()
	if err != nil {
		return nil, fmt.Errorf("uapfilter: literal automaton: %w", err)
	}
	p.nLiteral = len(lits.list)
	return p, nil
}

// source is what compile reads of a uap-go pattern: its regexp and its
// replacement templates.
type source struct {
	re        *regexp.Regexp
	templates []string
}

// literalIDs numbers the literals of all checks.
type literalIDs struct {
	ids  map[string]int
	list []string
}

func (l *literalIDs) check(req requirement) check {
	if l.ids == nil {
		l.ids = map[string]int{}
	}
	c := make(check, len(req))
	for i, clause := range req {
		for _, lit := range clause {
			id, ok := l.ids[lit]
			if !ok {
				id = len(l.list)
				l.ids[lit] = id
				l.list = append(l.list, lit)
			}
			c[i] = append(c[i], id)
		}
	}
	return c
}

// compile plans uap-go's patterns of one kind: src reads pattern i and
// rebind returns a copy of it that matches re instead (an M). It splits a
// pattern when the split gives the pattern's result (see split): when its
// templates use no group, or when the split has lead.
func compile[M matcher[T], T any](defs []M, lits *literalIDs, src func(i int) source,
	rebind func(i int, re *regexp.Regexp) any) (kind, []M, error) {
	var k kind
	var parts []M
	for i, d := range defs {
		s := src(i)
		sp, err := splitPattern(s.re.String())
		if err != nil {
			return kind{}, nil, fmt.Errorf("uapfilter: pattern %q: %w", s.re, err)
		}
		pat := pattern{first: len(k.parts), leftmost: sp.lead}
		if sp.exprs == nil || !sp.lead && !constant(s.templates) {
			sp.exprs, pat.leftmost = []string{s.re.String()}, false
		}
		for _, expr := range sp.exprs {
			req, err := required(expr)
			if err != nil {
				return kind{}, nil, fmt.Errorf("uapfilter: pattern %q: %w", expr, err)
			}
			pt := part{check: lits.check(req), re: s.re}
			m := d
			if len(sp.exprs) > 1 {
				if pt.re, err = regexp.Compile(expr); err != nil {
					return kind{}, nil, fmt.Errorf("uapfilter: rewrite %q: %w", expr, err)
				}
				m = rebind(i, pt.re).(M)
			}
			k.parts = append(k.parts, pt)
			parts = append(parts, m)
		}
		pat.end = len(k.parts)
		k.patterns = append(k.patterns, pat)
	}
	return k, parts, nil
}

// constant reports whether templates refer to no group of the match.
func constant(templates []string) bool {
	for _, t := range templates {
		if strings.Contains(t, "$") {
			return false
		}
	}
	return true
}

// found reports, per literal id, whether the literal occurs in line.
func (p *Parser) found(line string) []bool {
	found := make([]bool, p.nLiteral)
	for _, m := range p.literals.FindAllOverlapping(folded(line, make([]byte, 0, len(line)))) {
		found[m.PatternID] = true
	}
	return found
}

// Parse returns what uap-go's Parser.Parse returns for line.
func (p *Parser) Parse(line string) *uaparser.Client {
	found := p.found(line)
	c := &uaparser.Client{UserAgent: new(uaparser.UserAgent), Os: new(uaparser.Os), Device: new(uaparser.Device)}
	first(&p.ua, p.parts.UA, found, line, c.UserAgent, &c.UserAgent.Family)
	first(&p.os, p.parts.OS, found, line, c.Os, &c.Os.Family)
	first(&p.device, p.parts.Device, found, line, c.Device, &c.Device.Family)
	return c
}

// ParseDevice returns what uap-go's Parser.ParseDevice returns for line.
func (p *Parser) ParseDevice(line string) *uaparser.Device {
	d := new(uaparser.Device)
	first(&p.device, p.parts.Device, p.found(line), line, d, &d.Family)
	return d
}

// matcher is a uap-go pattern of one kind (user agent, OS, device), which
// fills T when it matches.
type matcher[T any] interface {
	Match(line string, out *T)
}

// first is uap-go's loop over the patterns (Parser.ParseUserAgent and its
// twins), skipping those that cannot match: the first pattern that gives a
// family wins, and "Other" stands for none.
func first[M matcher[T], T any](k *kind, parts []M, found []bool, line string, out *T, family *string) {
	for _, pat := range k.patterns {
		i := k.candidate(pat, found, line)
		if i < 0 {
			continue
		}
		parts[i].Match(line, out)
		if *family != "" {
			return
		}
	}
	*family = "Other"
}

// candidate returns the part to match line with for pat, or -1 if pat
// cannot match line. A pattern that is not split is a candidate if its
// check holds; a split one runs the rewrites whose check holds.
func (k *kind) candidate(pat pattern, found []bool, line string) int {
	if pat.end-pat.first == 1 {
		if k.parts[pat.first].check.holds(found) {
			return pat.first
		}
		return -1
	}
	best, start := -1, 0
	for i := pat.first; i < pat.end; i++ {
		pt := k.parts[i]
		if !pt.check.holds(found) {
			continue
		}
		loc := pt.re.FindStringIndex(line)
		switch {
		case loc == nil:
		case !pat.leftmost:
			return i
		case best < 0 || loc[0] < start:
			best, start = i, loc[0]
		}
	}
	return best
}
