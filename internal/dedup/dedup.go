// Package dedup removes retried copies of events.
//
// SDKs retry a beacon when they get no answer, and collectors may write a
// line twice, so the same event arrives more than once with the same
// event_id. Exactly one copy survives: the one received first (ties broken by
// source, line and position, so the choice is the same on every run). The
// other copies are duplicates: counted, not stored.
//
// Copies are matched on (device_id, event_id). A retry always comes from the
// device that created the event; the same event_id on two devices is an id
// collision (a broken UUID generator, a replayed test fixture), not a retry,
// and dropping one of them would lose a real event.
package dedup

import (
	"cmp"
	"sort"

	"github.com/example/clickstream/schemas"
)

// Earliest deduplicates the events of one device. It reorders events in
// place and returns the surviving copies (a prefix of events' backing array,
// sorted by event_id) and the duplicates removed (a new slice).
func Earliest(events []schemas.Event) (kept, duplicates []schemas.Event) {
	sort.Sort(byCopy(events))
	kept = events[:0]
	for i := range events {
		if i > 0 && events[i].EventID == events[i-1].EventID {
			duplicates = append(duplicates, events[i])
			continue
		}
		kept = append(kept, events[i]) // writes at an index <= i: already read
	}
	return kept, duplicates
}

// Compare is the order Earliest sorts a device's events in: by event_id,
// then the copies of an event by when they were received, then by where
// they were read. Most pairs differ in event_id, so the rest is compared
// only for copies (cmp.Or would compare every field, the source's path
// too, for every pair).
func Compare(a, b *schemas.Event) int {
	if c := cmp.Compare(a.EventID, b.EventID); c != 0 {
		return c
	}
	return cmp.Or(
		a.ReceivedAt.Compare(b.ReceivedAt),
		cmp.Compare(a.Source, b.Source),
		cmp.Compare(a.SourceLine, b.SourceLine),
		cmp.Compare(a.BeaconIndex, b.BeaconIndex),
	)
}

// byCopy sorts events by Compare where they are: slices.SortFunc passes its
// comparison two events by value, and copying two ~1 KB events per
// comparison took most of Earliest's time.
type byCopy []schemas.Event

func (s byCopy) Len() int           { return len(s) }
func (s byCopy) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s byCopy) Less(i, j int) bool { return Compare(&s[i], &s[j]) < 0 }
