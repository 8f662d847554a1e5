package models_test

import (
	"slices"
	"testing"

	"github.com/example/clickstream/sql/models"
)

// step.json orders every model file once, and declares inputs whose names
// are neither models nor each other's.
func TestStepDeclaration(t *testing.T) {
	order := models.Order()
	if got, want := slices.Sorted(slices.Values(order)), models.Names(); !slices.Equal(got, want) {
		t.Errorf("step.json orders %v, sql/models has %v", got, want)
	}
	seen := map[string]bool{}
	for _, in := range models.Inputs() {
		if seen[in.Name] || slices.Contains(order, in.Name) || len(in.Columns) == 0 {
			t.Errorf("input %q: declared twice, named like a model, or without columns", in.Name)
		}
		seen[in.Name] = true
		for _, c := range in.Columns {
			if !slices.Contains([]string{"DATE", "INT64", "STRING", "BOOL"}, c.Type) {
				t.Errorf("input %s: column %s has type %q, want DATE, INT64, STRING or BOOL", in.Name, c.Name, c.Type)
			}
		}
	}
	if len(seen) == 0 {
		t.Error("step.json declares no input")
	}
}
