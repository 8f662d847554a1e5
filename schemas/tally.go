package schemas

// Tally names. Every input record ends in exactly one of the outcomes
// events, duplicates, bots, dead_letter, out_of_range, unwritable and
// erased, so that a run reconciles as
//
//	input_records = events + duplicates + bots + dead_letter + out_of_range + unwritable + erased
//
// Sessions are derived rows, counted to check their table.
const (
	TallyInputRecords = "input_records"
	TallyEvents       = "events"
	TallyDuplicates   = "duplicates"
	TallyBots         = "bots"
	TallyDeadLetter   = "dead_letter"
	TallyOutOfRange   = "out_of_range"
	// TallyUnwritable counts records whose row BigQuery refused, and then
	// the fallback dead letter that stood for it too (streaming only):
	// their messages are acknowledged with nothing in any table.
	TallyUnwritable = "unwritable"
	TallySessions   = "sessions"
	// TallyErased counts the events of an erased person or device, dropped
	// after parse (transforms/erased): they are written nowhere.
	TallyErased = "erased"
	// TallyLateForSessions counts, in streaming, events that came later
	// than the allowed lateness: they are also counted under TallyEvents
	// (they are in fact_events) but their session windows had closed.
	TallyLateForSessions = "late_for_sessions"
)

// Tally is a count of records under a name (one of the Tally names above,
// or a driver's own), optionally broken down by key (the bot rule, the
// dead-letter reason, a partition date). Its JSON form is what
// transforms/tally writes and reads back.
type Tally struct {
	Name string `json:"name"`
	Key  string `json:"key,omitempty"`
	N    int64  `json:"n"`
}

// TallyTotals is the sum of all tallies of a run, by name and key.
type TallyTotals map[string]map[string]int64

// Add adds t.
func (tt TallyTotals) Add(t Tally) {
	if tt[t.Name] == nil {
		tt[t.Name] = map[string]int64{}
	}
	tt[t.Name][t.Key] += t.N
}

// Sum is the total under name over all keys.
func (tt TallyTotals) Sum(name string) int64 {
	var n int64
	for _, v := range tt[name] {
		n += v
	}
	return n
}

// ByKey returns the counts under name by key, without the empty key.
func (tt TallyTotals) ByKey(name string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range tt[name] {
		if k != "" {
			out[k] = v
		}
	}
	return out
}
