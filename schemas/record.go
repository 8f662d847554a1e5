package schemas

import json "github.com/goccy/go-json"

// InputRecords is how many input records r stands for: the number of
// elements of a beacon's events array, otherwise 1 (a record that could not
// be read whole counts 1). Every source counts input_records with it, and
// the parser must account for exactly that many outcomes; it deliberately
// shares no code with the parser.
func (r Record) InputRecords() int {
	if r.ReadError != "" {
		return 1
	}
	var beacon struct {
		Events []json.RawMessage `json:"events"`
	}
	if json.Unmarshal(r.Data, &beacon) != nil || len(beacon.Events) == 0 {
		return 1
	}
	return len(beacon.Events)
}
