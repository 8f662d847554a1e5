package erasure

import (
	"slices"
	"testing"

	"github.com/example/clickstream/schemas"
)

// Every table has a rule, every rule names a table and only its columns,
// and a table with an identifying column (user_key, device_id, a payload, ...)
// is erased by a rule that uses that column: a table added without one
// fails here until it is put in Rules.
func TestRulesCoverEveryTable(t *testing.T) {
	seen := map[string]bool{}
	for _, tbl := range schemas.Tables() {
		seen[tbl.Name] = true
		r, ok := Rules[tbl.Name]
		if !ok {
			t.Errorf("%s: no erasure rule (add it to Rules: Rows, Aggregate or Record)", tbl.Name)
			continue
		}
		for _, c := range r.columns() {
			if _, ok := tbl.Column(c); !ok {
				t.Errorf("%s: rule names column %s, which the table lacks", tbl.Name, c)
			}
		}
		if r.Kind == Record {
			continue
		}
		for _, c := range tbl.Schema {
			if !identifying[c.Name] {
				continue
			}
			if !r.Kind.erases() {
				t.Errorf("%s: declared aggregate but has the identifying column %s", tbl.Name, c.Name)
			} else if !slices.Contains(r.columns(), c.Name) {
				t.Errorf("%s: identifying column %s is not used by its erasure rule", tbl.Name, c.Name)
			}
		}
	}
	for name := range Rules {
		if !seen[name] {
			t.Errorf("rule for %s, which is not a table of schemas/tables", name)
		}
	}
}
