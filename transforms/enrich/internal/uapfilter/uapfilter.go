// Package uapfilter parses user agents exactly as uap-go
// (github.com/ua-parser/uap-go) does, at a fraction of its cost for a user
// agent seen for the first time.
//
// uap-go tries uap-core's patterns one after the other (about 600 for the
// browser, 200 for the OS and 600 for the device) until one matches, and a
// Go regexp that does not match still reads the whole user agent: most of
// the ~1 ms an unseen user agent costs is spent on patterns that cannot
// match. Most patterns require literal text, though: "(Edge?)/(\d+)" cannot
// match a user agent without "edg". The Parser derives, from each
// pattern's syntax tree, the literals that every match contains (clauses:
// for each, at least one of its literals); one Aho-Corasick scan of the
// case-folded user agent finds which of all those literals occur; then
// uap-go's own matcher of each pattern (its regexp and its $1 replacement
// code) runs, in uap-core's order with the first match winning, on those
// patterns whose clauses all hold. A pattern without a usable literal is
// always tried.
//
// A skipped pattern is one that cannot match, and a pattern that does not
// match changes nothing in uap-go's result, so the results are uap-go's by
// construction; the package's tests compare them on 32k real user agents.
// Literals are compared case-folded (ASCII letters, and the Kelvin sign and
// long s that fold to k and s), which over-approximates case-sensitive
// patterns and is exact for (?i) ones.
package uapfilter

import (
	"fmt"

	"github.com/coregx/ahocorasick"
	"github.com/ua-parser/uap-go/uaparser"
)

// Parser parses user agents as a uap-go parser of uap-core's bundled
// patterns does, without its cache. It is safe for concurrent use.
type Parser struct {
	defs     *uaparser.RegexDefinitions
	literals *ahocorasick.Automaton
	nLiteral int
	// The requirement of each pattern, in the order of defs.
	ua, os, device []check
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

// New compiles uap-core's patterns bundled with uap-go (through uap-go) and
// the literal automaton.
func New() (*Parser, error) {
	up, err := uaparser.New()
	if err != nil {
		return nil, fmt.Errorf("uapfilter: uap-go parser: %w", err)
	}
	p := &Parser{defs: up.RegexDefinitions}
	ids := map[string]int{}
	var literals []string
	checkOf := func(expr string) (check, error) {
		req, err := required(expr)
		if err != nil {
			return nil, fmt.Errorf("uapfilter: pattern %q: %w", expr, err)
		}
		c := make(check, len(req))
		for i, clause := range req {
			for _, lit := range clause {
				id, ok := ids[lit]
				if !ok {
					id = len(literals)
					ids[lit] = id
					literals = append(literals, lit)
				}
				c[i] = append(c[i], id)
			}
		}
		return c, nil
	}
	for _, d := range p.defs.UA {
		c, err := checkOf(d.Reg.String())
		if err != nil {
			return nil, err
		}
		p.ua = append(p.ua, c)
	}
	for _, d := range p.defs.OS {
		c, err := checkOf(d.Reg.String())
		if err != nil {
			return nil, err
		}
		p.os = append(p.os, c)
	}
	for _, d := range p.defs.Device {
		c, err := checkOf(d.Reg.String())
		if err != nil {
			return nil, err
		}
		p.device = append(p.device, c)
	}
	p.literals, err = ahocorasick.NewBuilder().AddStrings(literals).Build()
	if err != nil {
		return nil, fmt.Errorf("uapfilter: literal automaton: %w", err)
	}
	p.nLiteral = len(literals)
	return p, nil
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
	first(p.defs.UA, p.ua, found, line, c.UserAgent, &c.UserAgent.Family)
	first(p.defs.OS, p.os, found, line, c.Os, &c.Os.Family)
	first(p.defs.Device, p.device, found, line, c.Device, &c.Device.Family)
	return c
}

// ParseDevice returns what uap-go's Parser.ParseDevice returns for line.
func (p *Parser) ParseDevice(line string) *uaparser.Device {
	d := new(uaparser.Device)
	first(p.defs.Device, p.device, p.found(line), line, d, &d.Family)
	return d
}

// matcher is a uap-go pattern of one kind (user agent, OS, device), which
// fills T when it matches.
type matcher[T any] interface {
	Match(line string, out *T)
}

// first is uap-go's loop over the patterns (Parser.ParseUserAgent and its
// twins), skipping those whose check fails: the first pattern that gives a
// family wins, and "Other" stands for none.
func first[M matcher[T], T any](patterns []M, checks []check, found []bool, line string, out *T, family *string) {
	for i, pat := range patterns {
		if !checks[i].holds(found) {
			continue
		}
		pat.Match(line, out)
		if *family != "" {
			return
		}
	}
	*family = "Other"
}
