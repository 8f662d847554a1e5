package dedup

import (
	"slices"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

func TestEarliest(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	ev := func(id string, received time.Duration, source string, line int64) schemas.Event {
		return schemas.Event{EventID: id, ReceivedAt: t0.Add(received), Source: source, SourceLine: line}
	}
	tests := []struct {
		name     string
		in       []schemas.Event
		wantKept []schemas.Event
		wantDups int
	}{
		{"no duplicates", []schemas.Event{ev("b", 0, "f", 1), ev("a", time.Second, "f", 2)},
			[]schemas.Event{ev("a", time.Second, "f", 2), ev("b", 0, "f", 1)}, 0},
		{"retry received later loses", []schemas.Event{ev("a", time.Minute, "f2", 1), ev("a", 0, "f1", 9)},
			[]schemas.Event{ev("a", 0, "f1", 9)}, 1},
		{"same receive time: earlier source wins", []schemas.Event{ev("a", 0, "f2", 1), ev("a", 0, "f1", 5), ev("a", 0, "f1", 3)},
			[]schemas.Event{ev("a", 0, "f1", 3)}, 2},
		{"empty", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, dups := Earliest(tt.in)
			if len(dups) != tt.wantDups {
				t.Errorf("duplicates = %d, want %d", len(dups), tt.wantDups)
			}
			for _, d := range dups {
				if !slices.ContainsFunc(kept, func(k schemas.Event) bool { return k.EventID == d.EventID }) {
					t.Errorf("duplicate %s has no surviving copy", d.EventID)
				}
			}
			if len(kept) != len(tt.wantKept) {
				t.Fatalf("kept %d events, want %d", len(kept), len(tt.wantKept))
			}
			for i := range kept {
				if kept[i].EventID != tt.wantKept[i].EventID || !kept[i].ReceivedAt.Equal(tt.wantKept[i].ReceivedAt) ||
					kept[i].Source != tt.wantKept[i].Source || kept[i].SourceLine != tt.wantKept[i].SourceLine {
					t.Errorf("kept[%d] = %+v, want %+v", i, kept[i], tt.wantKept[i])
				}
			}
		})
	}
}
