package uapfilter

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// index finds which parts are candidates for a user agent. Of each part's
// requirement it keeps at most two clauses, the strongest (see strength).
// It numbers their literals, raw and folded ones apart, and lists for each
// literal the clauses it satisfies.
type index struct {
	reqs    []requirement // by part id, until build
	ids     map[literal]int
	strings map[string]int // position in list
	list    []string       // the strings the automaton looks for
	// The literal id of each string of list, raw and folded; -1 for none.
	raw, folded []int
	postings    [][]clauseRef // by literal id
	nClauses    int
	clauses     []int // by part id: the number of clauses kept

	automaton *automaton
	scratch   sync.Pool // of *candidates
}

// A part keeps its strongest clause and the next one if its strength is at
// least minStrength.
const (
	minStrength = 2
	maxShared   = 100
)

type literal struct {
	s    string
	fold bool
}

// clauseRef is a kept clause of a part's requirement, both by id.
type clauseRef struct {
	part, clause int
}

// add numbers a part with requirement req and returns its id.
func (x *index) add(req requirement) int {
	x.reqs = append(x.reqs, req)
	return len(x.reqs) - 1
}

// build keeps the clauses, numbers their literals and compiles the
// automaton, once all parts are added.
func (x *index) build() {
	x.ids, x.strings = map[literal]int{}, map[string]int{}
	shared := map[string]int{} // by literal folded
	for _, req := range x.reqs {
		seen := map[string]bool{}
		for _, clause := range req.clauses {
			for _, s := range clause {
				seen[strings.ToLower(s)] = true
			}
		}
		for lit := range seen {
			shared[lit]++
		}
	}
	for part, req := range x.reqs {
		strength := func(clause []string) int { return strength(clause, shared) }
		clauses := slices.Clone(req.clauses)
		slices.SortStableFunc(clauses, func(a, b []string) int { return strength(b) - strength(a) })
		if len(clauses) > 1 && strength(clauses[1]) < minStrength {
			clauses = clauses[:1]
		}
		clauses = clauses[:min(len(clauses), 2)]
		x.clauses = append(x.clauses, len(clauses))
		for _, clause := range clauses {
			ref := clauseRef{part: part, clause: x.nClauses}
			x.nClauses++
			for _, s := range clause {
				id := x.literalID(literal{s, req.fold})
				x.postings[id] = append(x.postings[id], ref)
			}
		}
	}
	x.reqs = nil
	x.automaton = newAutomaton(x.list)
}

// strength rates how rarely a clause holds by a rule of thumb: the fewest
// letters in one of its literals ("0." and " (" are in most user agents),
// or 0 if one of its literals is shared, in any case, by more than
// maxShared parts' requirements (a token in many patterns, such as
// " Build", is in many user agents too).
func strength(clause []string, shared map[string]int) int {
	n := math.MaxInt
	for _, s := range clause {
		if shared[strings.ToLower(s)] > maxShared {
			return 0
		}
		letters := 0
		for _, c := range []byte(s) {
			if 'a' <= c|0x20 && c|0x20 <= 'z' {
				letters++
			}
		}
		n = min(n, letters)
	}
	return n
}

func (x *index) literalID(lit literal) int {
	if id, ok := x.ids[lit]; ok {
		return id
	}
	id := len(x.ids)
	x.ids[lit] = id
	x.postings = append(x.postings, nil)
	j, ok := x.strings[lit.s]
	if !ok {
		j = len(x.list)
		x.strings[lit.s] = j
		x.list = append(x.list, lit.s)
		x.raw, x.folded = append(x.raw, -1), append(x.folded, -1)
	}
	if lit.fold {
		x.folded[j] = id
	} else {
		x.raw[j] = id
	}
	return id
}

// candidates is the state of one lookup: the literals seen, the clauses
// satisfied and, by part id, how many of its clauses are.
type candidates struct {
	seen, satisfied bitset
	count           []int
	text            []byte
}

// lookup returns the candidates for line; release them after use. The
// automaton reads line, a separator that no literal contains (0xff, never
// in UTF-8 nor in folded text), then line folded: raw literals count in the
// first part, folded ones in the second.
func (x *index) lookup(line string) *candidates {
	c, ok := x.scratch.Get().(*candidates)
	if !ok {
		c = &candidates{
			seen:      make(bitset, (len(x.ids)+63)/64),
			satisfied: make(bitset, (x.nClauses+63)/64),
			count:     make([]int, len(x.clauses)),
		}
	}
	c.text = folded(append(append(c.text[:0], line...), 0xff), line)
	ids, state := x.raw, 0
	for i, b := range c.text {
		if i == len(line) {
			ids = x.folded
		}
		state = x.automaton.step(state, b)
		for _, str := range x.automaton.matches[state] {
			if id := ids[str]; id >= 0 && !c.seen.has(id) {
				c.seen.add(id)
				x.satisfy(c, id)
			}
		}
	}
	return c
}

// satisfy counts the clauses that literal id satisfies.
func (x *index) satisfy(c *candidates, id int) {
	for _, ref := range x.postings[id] {
		if !c.satisfied.has(ref.clause) {
			c.satisfied.add(ref.clause)
			c.count[ref.part]++
		}
	}
}

// release returns c, used, for another lookup.
func (x *index) release(c *candidates) {
	clear(c.seen)
	clear(c.satisfied)
	clear(c.count)
	x.scratch.Put(c)
}

// has reports whether every kept clause of part's requirement holds.
func (x *index) has(c *candidates, part int) bool {
	return c.count[part] == x.clauses[part]
}

// bitset is a set of small non-negative integers.
type bitset []uint64

func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) add(i int) { b[i/64] |= 1 << (i % 64) }
