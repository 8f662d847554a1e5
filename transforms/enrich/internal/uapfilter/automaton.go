package uapfilter

// automaton is an Aho-Corasick automaton over a list of strings, compiled
// to a complete DFA over byte classes: reading a byte is one table lookup,
// and each state lists the strings that end there.
type automaton struct {
	class   [256]byte // byte -> class; 0 for bytes in no string
	width   int       // number of classes
	next    []int32   // by state*width + class
	matches [][]int32 // by state: the strings (by position in the list) that end there
}

const none = -1

// newAutomaton compiles strs, which are not empty.
func newAutomaton(strs []string) *automaton {
	a := &automaton{width: 1}
	for _, s := range strs {
		for i := range len(s) {
			if a.class[s[i]] == 0 {
				a.class[s[i]] = byte(a.width)
				a.width++
			}
		}
	}
	a.addState()
	for id, s := range strs {
		state := 0
		for i := range len(s) {
			at := state*a.width + int(a.class[s[i]])
			if a.next[at] == none {
				a.next[at] = int32(a.addState())
			}
			state = int(a.next[at])
		}
		a.matches[state] = append(a.matches[state], int32(id))
	}
	// Breadth first, each state's failure (its longest proper suffix that
	// is a state) is complete before the state: missing transitions
	// follow the failure's, and the strings ending there end here too.
	fail := make([]int, len(a.matches))
	queue := []int{0}
	for len(queue) > 0 {
		state := queue[0]
		queue = queue[1:]
		for c := range a.width {
			at := state*a.width + c
			child := a.next[at]
			switch {
			case child == none && state == 0:
				a.next[at] = 0
			case child == none:
				a.next[at] = a.next[fail[state]*a.width+c]
			default:
				if state != 0 {
					fail[child] = int(a.next[fail[state]*a.width+c])
				}
				a.matches[child] = append(a.matches[child], a.matches[fail[child]]...)
				queue = append(queue, int(child))
			}
		}
	}
	return a
}

func (a *automaton) addState() int {
	for range a.width {
		a.next = append(a.next, none)
	}
	a.matches = append(a.matches, nil)
	return len(a.matches) - 1
}

// step returns the state after reading b in state.
func (a *automaton) step(state int, b byte) int {
	return int(a.next[state*a.width+int(a.class[b])])
}
