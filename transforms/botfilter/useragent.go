package botfilter

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/example/clickstream/transforms/enrich"
)

// Where a user-agent verdict comes from; BotDetail starts with it.
const (
	SourceCrawlerList = "crawler-user-agents"
	SourceIsbot       = "isbot"
	SourceBuiltin     = "builtin"
	SourceFile        = "file"
	SourceGeneric     = "generic"
	SourceUAP         = "uap-core"
)

// uapSpiderDetail is the BotDetail of a user agent that only uap-core's
// device parser recognises.
const uapSpiderDetail = SourceUAP + ": device family Spider"

//go:embed data/crawler-user-agents.json
var crawlerListJSON []byte

//go:embed data/isbot-patterns.json
var isbotJSON []byte

//go:embed data/extra_user_agents.txt
var builtinPatternText string

// uaPattern is one bot pattern. Every pattern matches case-insensitively.
type uaPattern struct {
	source string
	// expr is the pattern as its source writes it; BotDetail shows it.
	expr string
	re   *regexp.Regexp
	// notBefore and notAfter hold the negative look-behind and look-ahead
	// of an isbot pattern, which RE2 lacks: lower-cased literals that must
	// not end right before, or start right after, a match of re.
	notBefore, notAfter []string
}

func (p uaPattern) detail() string { return p.source + ": " + p.expr }

// match reports whether p matches ua; lower is ua lower-cased by
// appendLowerASCII (byte offsets are the same).
func (p uaPattern) match(ua string, lower []byte) bool {
	if p.notBefore == nil && p.notAfter == nil {
		return p.re.MatchString(ua)
	}
	for _, m := range p.re.FindAllIndex(lower, -1) {
		if !hasSuffixAny(lower[:m[0]], p.notBefore) && !hasPrefixAny(lower[m[1]:], p.notAfter) {
			return true
		}
	}
	return false
}

func hasSuffixAny(b []byte, set []string) bool {
	return slices.ContainsFunc(set, func(s string) bool { return bytes.HasSuffix(b, []byte(s)) })
}

func hasPrefixAny(b []byte, set []string) bool {
	return slices.ContainsFunc(set, func(s string) bool { return bytes.HasPrefix(b, []byte(s)) })
}

// compileFold compiles expr to match case-insensitively, as isbot does and
// as user agents deserve: "googlebot" and "GoogleBot" are the same crawler.
func compileFold(expr string) (*regexp.Regexp, error) {
	return regexp.Compile("(?i)" + expr)
}

// builtinPatterns compiles the crawler list and the built-in patterns once
// per process: the regexps are immutable and safe to share between DoFn
// instances.
var builtinPatterns = sync.OnceValues(func() ([]uaPattern, error) {
	list, err := parseCrawlerList(crawlerListJSON)
	if err != nil {
		return nil, err
	}
	extra, err := parsePatternLines(strings.NewReader(builtinPatternText), SourceBuiltin)
	if err != nil {
		return nil, fmt.Errorf("builtin patterns: %w", err)
	}
	return slices.Concat(list, extra), nil
})

// isbotPatterns compiles isbot's list once per process.
var isbotPatterns = sync.OnceValues(func() ([]uaPattern, error) { return parseIsbotList(isbotJSON) })

// allPatterns returns every pattern in the order they are tried: the crawler
// list, the built-in patterns, extra (Options.UserAgentFile), then isbot's
// broader ones, so that a named bot's BotDetail names it.
func allPatterns(extra []uaPattern) ([]uaPattern, error) {
	builtin, err := builtinPatterns()
	if err != nil {
		return nil, err
	}
	isbot, err := isbotPatterns()
	if err != nil {
		return nil, err
	}
	return slices.Concat(builtin, extra, isbot), nil
}

func parseCrawlerList(b []byte) ([]uaPattern, error) {
	var list []struct {
		Pattern string `json:"pattern"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("crawler list: %w", err)
	}
	out := make([]uaPattern, 0, len(list))
	for i, c := range list {
		re, err := compileFold(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("crawler list entry %d: %w", i, err)
		}
		out = append(out, uaPattern{source: SourceCrawlerList, expr: c.Pattern, re: re})
	}
	return out, nil
}

// parseIsbotList reads isbot's pattern list, a JSON array of JavaScript
// regexps. RE2 has no look-arounds; isbot uses them only as a leading
// negative look-behind and a trailing negative look-ahead over alternatives of
// plain text, (?<!a|b)core(?!c|d), which become notBefore and notAfter.
func parseIsbotList(b []byte) ([]uaPattern, error) {
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("isbot list: %w", err)
	}
	out := make([]uaPattern, 0, len(list))
	for i, expr := range list {
		p, err := parseIsbotPattern(expr)
		if err != nil {
			return nil, fmt.Errorf("isbot list entry %d %q: %w", i, expr, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseIsbotPattern(expr string) (uaPattern, error) {
	core := expr
	var notBefore, notAfter []string
	if rest, ok := strings.CutPrefix(core, "(?<!"); ok {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return uaPattern{}, errors.New("unclosed look-behind")
		}
		notBefore, core = strings.Split(rest[:end], "|"), rest[end+1:]
	}
	if i := strings.LastIndex(core, "(?!"); i >= 0 && strings.HasSuffix(core, ")") {
		body := core[i+len("(?!") : len(core)-1]
		if inner, ok := strings.CutPrefix(body, "(?:"); ok {
			body = strings.TrimSuffix(inner, ")")
		}
		notAfter, core = strings.Split(body, "|"), core[:i]
	}
	for _, lit := range slices.Concat(notBefore, notAfter) {
		if lit == "" || regexp.QuoteMeta(lit) != lit || lit != lowerASCII(lit) {
			return uaPattern{}, fmt.Errorf("look-around %q is not plain lower-case text", lit)
		}
	}
	re, err := compileFold(core)
	if err != nil {
		return uaPattern{}, err
	}
	return uaPattern{source: SourceIsbot, expr: expr, re: re, notBefore: notBefore, notAfter: notAfter}, nil
}

// parsePatternLines reads one RE2 pattern per line, matched
// case-insensitively. Blank lines and lines whose first non-blank character
// is # are skipped; a # inside a pattern is part of it (URLs in user agents
// contain #).
func parsePatternLines(text io.Reader, source string) ([]uaPattern, error) {
	var out []uaPattern
	sc := bufio.NewScanner(text)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		re, err := compileFold(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, uaPattern{source: source, expr: line, re: re})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// patternSet finds the first pattern, in order, that matches a user agent,
// running only the regexps whose required literal occurs in it.
type patternSet struct {
	patterns []uaPattern
	// index maps the first three (lower-cased) bytes of a required literal
	// to the literals starting with them.
	index map[uint32][]indexEntry
	// pairs has a bit set for the first two bytes of every indexed literal,
	// to skip most positions without a map lookup.
	pairs [1 << 16 / 64]uint64
	// always lists the patterns without a usable literal.
	always []int32
}

type indexEntry struct {
	lit     []byte
	pattern int32
}

func newPatternSet(patterns []uaPattern) *patternSet {
	s := &patternSet{patterns: patterns, index: make(map[uint32][]indexEntry)}
	for i, p := range patterns {
		parsed, err := syntax.Parse(p.re.String(), syntax.Perl)
		var lits []string
		if err == nil {
			lits = requiredLiterals(parsed.Simplify())
		}
		if lits == nil {
			s.always = append(s.always, int32(i))
			continue
		}
		for _, l := range lits {
			k := key3(l[0], l[1], l[2])
			s.index[k] = append(s.index[k], indexEntry{lit: []byte(l), pattern: int32(i)})
			pair := uint32(l[0])<<8 | uint32(l[1])
			s.pairs[pair/64] |= 1 << (pair % 64)
		}
	}
	return s
}

func key3(a, b, c byte) uint32 { return uint32(a)<<16 | uint32(b)<<8 | uint32(c) }

// first returns the first pattern in order that matches ua.
func (s *patternSet) first(ua string) (uaPattern, bool) {
	lower := appendLowerASCII(make([]byte, 0, len(ua)), ua)
	cands := slices.Clone(s.always)
	for i := 0; i+minLiteralLen <= len(lower); i++ {
		pair := uint32(lower[i])<<8 | uint32(lower[i+1])
		if s.pairs[pair/64]&(1<<(pair%64)) == 0 {
			continue
		}
		for _, e := range s.index[key3(lower[i], lower[i+1], lower[i+2])] {
			if bytes.HasPrefix(lower[i:], e.lit) {
				cands = append(cands, e.pattern)
			}
		}
	}
	slices.Sort(cands)
	for i, c := range cands {
		if i > 0 && cands[i-1] == c {
			continue
		}
		if p := s.patterns[c]; p.match(ua, lower) {
			return p, true
		}
	}
	return uaPattern{}, false
}

// uaRule is the user-agent rule: the pattern set, then uap-core's Spider
// device family, with verdicts cached per distinct user agent.
type uaRule struct {
	set *patternSet
	// cache maps a user agent to its BotDetail, "" for not a bot.
	cache *lru.Cache[string, string]
}

func newUARule(extra []uaPattern, cacheSize int) (*uaRule, error) {
	patterns, err := allPatterns(extra)
	if err != nil {
		return nil, err
	}
	return newUARuleFrom(patterns, cacheSize)
}

func newUARuleFrom(patterns []uaPattern, cacheSize int) (*uaRule, error) {
	cache, err := lru.New[string, string](cacheSize)
	if err != nil {
		return nil, fmt.Errorf("user-agent cache: %w", err)
	}
	return &uaRule{set: newPatternSet(patterns), cache: cache}, nil
}

// check returns the BotDetail for ua, or "" when ua is not a bot's.
func (r *uaRule) check(ua string) string {
	if ua == "" {
		return ""
	}
	if d, ok := r.cache.Get(ua); ok {
		return d
	}
	d := r.evaluate(ua)
	r.cache.Add(ua, d)
	return d
}

// evaluate runs the allow-list, the patterns, the native-app shapes, the
// generic signals and uap-core, in that order (see the package doc).
func (r *uaRule) evaluate(ua string) string {
	detail, probe := r.signals(ua)
	if detail == "" && probe != "" && enrich.IsSpider(probe) {
		return uapSpiderDetail
	}
	return detail
}

// signals runs every step but uap-core's. It returns the BotDetail of a bot;
// or "" and the probe (ua with humanTokens blanked) when only uap-core is left
// to ask; or "" and "" when ua is a person's (allow-list, native app).
func (r *uaRule) signals(ua string) (detail, probe string) {
	lower := lowerASCII(ua)
	if strings.Contains(lower, allowedAgent) {
		return "", ""
	}
	probe = maskHumanTokens(ua, lower)
	if p, ok := r.set.first(probe); ok {
		return p.detail(), ""
	}
	if nativeApp.MatchString(ua) {
		return "", ""
	}
	if s := genericSignal(probe); s != "" {
		return SourceGeneric + ": " + s, ""
	}
	return "", probe
}
