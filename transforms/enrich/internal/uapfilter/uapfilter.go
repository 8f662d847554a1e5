package uapfilter

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ua-parser/uap-go/uaparser"
)

// Parser parses user agents as a uap-go parser of uap-core's bundled
// patterns does, without its cache. It is safe for concurrent use.
type Parser struct {
	index index
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

// part is one regexp the Parser runs, and its id in the index.
type part struct {
	re *regexp.Regexp
	id int
}

// New compiles uap-core's patterns bundled with uap-go (through uap-go),
// their splits and the literal automaton.
func New() (*Parser, error) {
	up, err := uaparser.New(uaparser.WithCacheSize(1)) // its cache is never used
	if err != nil {
		return nil, fmt.Errorf("uapfilter: uap-go parser: %w", err)
	}
	// uap-go's pattern types are unexported: closures read their fields
	// and copy them, and compile stays generic over the three kinds.
	defs := up.RegexDefinitions
	p := &Parser{}
	p.ua, p.parts.UA, err = compile(defs.UA, &p.index,
		func(i int) source {
			d := defs.UA[i]
			return source{d.Reg, []string{d.FamilyReplacement, d.V1Replacement, d.V2Replacement, d.V3Replacement}}
		},
		func(i int, re *regexp.Regexp) any { c := defs.UA[i].Clone(); c.Reg = re; return c })
	if err != nil {
		return nil, err
	}
	p.os, p.parts.OS, err = compile(defs.OS, &p.index,
		func(i int) source {
			d := defs.OS[i]
			return source{d.Reg, []string{d.OSReplacement, d.V1Replacement, d.V2Replacement, d.V3Replacement, d.V4Replacement}}
		},
		func(i int, re *regexp.Regexp) any { c := defs.OS[i].Clone(); c.Reg = re; return c })
	if err != nil {
		return nil, err
	}
	p.device, p.parts.Device, err = compile(defs.Device, &p.index,
		func(i int) source {
			d := defs.Device[i]
			return source{d.Reg, []string{d.DeviceReplacement, d.BrandReplacement, d.ModelReplacement}}
		},
		func(i int, re *regexp.Regexp) any { c := defs.Device[i].Clone(); c.Reg = re; return c })
	if err != nil {
		return nil, err
	}
	p.index.build()
	return p, nil
}

// source is what compile reads of a uap-go pattern: its regexp and its
// replacement templates.
type source struct {
	re        *regexp.Regexp
	templates []string
}

// compile plans uap-go's patterns of one kind and adds their requirements
// to idx: src reads pattern i and rebind returns a copy of it that matches
// re instead (an M). It splits a pattern when the split gives the
// pattern's result (see split): when its templates use no group, or when
// the split has lead.
func compile[M matcher[T], T any](defs []M, idx *index, src func(i int) source,
	rebind func(i int, re *regexp.Regexp) any) (kind, []M, error) {
	var k kind
	var parts []M
	for i, d := range defs {
		s := src(i)
		sp, err := splitPattern(s.re.String(), constant(s.templates))
		if err != nil {
			return kind{}, nil, fmt.Errorf("uapfilter: pattern %q: %w", s.re, err)
		}
		pat := pattern{first: len(k.parts), leftmost: sp.lead}
		if sp.exprs == nil {
			sp.exprs = []string{s.re.String()}
		}
		for _, expr := range sp.exprs {
			req, err := required(expr)
			if err != nil {
				return kind{}, nil, fmt.Errorf("uapfilter: pattern %q: %w", expr, err)
			}
			pt := part{re: s.re, id: idx.add(req)}
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

// Parse returns what uap-go's Parser.Parse returns for line.
func (p *Parser) Parse(line string) *uaparser.Client {
	cands := p.index.lookup(line)
	defer p.index.release(cands)
	c := &uaparser.Client{UserAgent: new(uaparser.UserAgent), Os: new(uaparser.Os), Device: new(uaparser.Device)}
	first(p, &p.ua, p.parts.UA, cands, line, c.UserAgent, &c.UserAgent.Family)
	first(p, &p.os, p.parts.OS, cands, line, c.Os, &c.Os.Family)
	first(p, &p.device, p.parts.Device, cands, line, c.Device, &c.Device.Family)
	return c
}

// ParseDevice returns what uap-go's Parser.ParseDevice returns for line.
func (p *Parser) ParseDevice(line string) *uaparser.Device {
	cands := p.index.lookup(line)
	defer p.index.release(cands)
	d := new(uaparser.Device)
	first(p, &p.device, p.parts.Device, cands, line, d, &d.Family)
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
func first[M matcher[T], T any](p *Parser, k *kind, parts []M, cands *candidates, line string, out *T, family *string) {
	for _, pat := range k.patterns {
		i := p.candidate(k, pat, cands, line)
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
// requirement holds; a split one runs the rewrites whose requirement holds.
func (p *Parser) candidate(k *kind, pat pattern, cands *candidates, line string) int {
	if pat.end-pat.first == 1 {
		if p.index.has(cands, k.parts[pat.first].id) {
			return pat.first
		}
		return -1
	}
	best, start := -1, 0
	for i := pat.first; i < pat.end; i++ {
		pt := k.parts[i]
		if !p.index.has(cands, pt.id) {
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
