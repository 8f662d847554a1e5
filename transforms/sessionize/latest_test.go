package sessionize

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

// firingRows returns the rows Batch gives for events, with a version.
func firingRows(version int64, events ...schemas.Event) []schemas.Session {
	rows := Batch(events, Options{})
	for i := range rows {
		rows[i].Version = version
	}
	return rows
}

func TestLatest(t *testing.T) {
	a, b, c := ev("a", 0), ev("b", 20*time.Minute), ev("c", 40*time.Minute)
	other := func(e schemas.Event) schemas.Event { e.DeviceID = "other"; return e }
	tests := []struct {
		name    string
		firings [][]schemas.Session
		want    []schemas.Session
	}{
		{
			name:    "a repeated pane",
			firings: [][]schemas.Session{firingRows(1, a, b), firingRows(1, a, b)},
			want:    firingRows(1, a, b),
		},
		{
			name:    "the same session in a later pane",
			firings: [][]schemas.Session{firingRows(1, a, c), firingRows(2, a, c)},
			want:    firingRows(2, a, c),
		},
		{
			name:    "a late event inside the session",
			firings: [][]schemas.Session{firingRows(2, a, b, c), firingRows(1, a, c)},
			want:    firingRows(2, a, b, c),
		},
		{
			// The merged session is a new window: its pane index restarts.
			name:    "a merge with a lower version",
			firings: [][]schemas.Session{firingRows(1, a), firingRows(3, c), firingRows(1, a, b, c)},
			want:    firingRows(1, a, b, c),
		},
		{
			name:    "a late event emitted alone with a higher version (Prism)",
			firings: [][]schemas.Session{firingRows(1, a), firingRows(1, c), firingRows(2, b), firingRows(1, a, b, c)},
			want:    firingRows(1, a, b, c),
		},
		{
			name:    "ranges that only touch overlap",
			firings: [][]schemas.Session{firingRows(1, a, b), firingRows(1, b, c)},
			want:    firingRows(1, a, b), // a tie on events and version: the earlier start
		},
		{
			name:    "separate sessions and devices are all kept",
			firings: [][]schemas.Session{firingRows(1, ev("x", 2*time.Hour)), firingRows(1, other(a), other(b)), firingRows(1, a, b)},
			want:    slices.Concat(firingRows(1, a, b), firingRows(1, ev("x", 2*time.Hour)), firingRows(1, other(a), other(b))),
		},
		{
			name: "a runaway session updated by a late event inside it",
			firings: [][]schemas.Session{
				firingRows(1, every(360, 5*time.Minute)...),
				firingRows(2, append(every(360, 5*time.Minute), ev("late", 23*time.Hour+time.Minute))...),
			},
			want: firingRows(2, append(every(360, 5*time.Minute), ev("late", 23*time.Hour+time.Minute))...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := slices.Concat(tt.firings...)
			before := slices.Clone(rows)
			if got := Latest(rows); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Latest:\n got %q\nwant %q", summary(got), summary(tt.want))
			}
			if !reflect.DeepEqual(rows, before) {
				t.Error("Latest modified its input")
			}
		})
	}
	if got := Latest(nil); len(got) != 0 {
		t.Errorf("Latest(nil) = %v", got)
	}
}
