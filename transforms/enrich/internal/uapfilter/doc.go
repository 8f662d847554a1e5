// Package uapfilter parses user agents exactly as uap-go
// (github.com/ua-parser/uap-go) does, at a small fraction of its cost for a
// user agent seen for the first time.
//
// uap-go tries uap-core's patterns in order (about 360 for the browser, 200
// for the OS and 630 for the device) until one gives a family, and a Go
// regexp that does not match still reads the whole user agent: an unseen
// user agent costs about a millisecond, nearly all of it in patterns that
// cannot match. Most patterns require literal text, though:
// "(HbbTV)/(\d+)\.(\d+)" cannot match a user agent without "HbbTV/". The
// Parser runs only the patterns that can match, in uap-core's order, each
// with uap-go's own matcher (its regexp and replacement templates), so the
// first pattern that gives a family is uap-go's and so is every field.
//
// # Requirements
//
// From each pattern's syntax tree, parsed as regexp.Compile parses it
// (literals.go), the Parser derives a requirement: clauses, each a set of
// literals one of which every match contains. For each node the analysis
// knows the strings it matches while they are few, otherwise the strings
// its matches start and end with, and joins them across concatenations and
// alternations (as in Russ Cox's regexp trigram index, with whole literals
// cut to 16 bytes). A pattern with a case-insensitive part has folded
// literals (ASCII letters lower-cased, and the Kelvin sign and long s that
// fold to k and s), which over-approximates its case-sensitive parts; any
// other pattern has raw, case-sensitive literals.
//
// # Index
//
// Of each requirement the index (index.go) keeps the strongest clause and,
// when strong enough, the next one: literals with more letters are rarer,
// and a literal required by many patterns (" Build") is in many user agents
// too. One pass of an Aho-Corasick automaton (automaton.go) over the user
// agent and its folded copy finds the literals that occur; a list from each
// literal to the clauses it satisfies counts, per pattern, the clauses that
// hold. A pattern is a candidate when all its kept clauses hold; a pattern
// without a clause always is.
//
// # Splits
//
// A pattern with an alternation ("(Googlebot|bingbot|...)") requires only
// one literal of any alternative, which a user agent nearly always has when
// the alternatives are many, and some such patterns cost a hundred
// microseconds a run. Where the result allows, a pattern is split
// (split.go): rewritten once per alternative of its first alternation,
// each rewrite with its own requirement. When the pattern's templates use
// no group, whichever rewrite matches gives the pattern's result. When only
// empty-width assertions come before the alternation and no alternative
// has a group of its own, the rewrite whose match starts leftmost (the
// earliest on a tie) is the pattern's match under Go's leftmost-first rule,
// groups included. Other patterns run whole.
//
// # Why the results are uap-go's
//
// A pattern is skipped only when one of its clauses has no literal in the
// user agent, which no match allows; a pattern that does not match changes
// nothing in uap-go's loop. The tests compare every field with uap-go's on
// 32,714 distinct real user agents (uap-core's test resources), check that
// every regexp run here that matches one of them is a candidate, and check
// the automaton against strings.Contains.
//
// # Patterns and licence
//
// The patterns are uap-core's regexes.yaml (github.com/ua-parser/uap-core,
// Apache License 2.0) as bundled with uap-go: the Parser reads and
// compiles them through uap-go and carries no copy of them.
package uapfilter
