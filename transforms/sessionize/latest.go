package sessionize

import (
	"cmp"
	"slices"

	"github.com/example/clickstream/schemas"
)

// Latest keeps the current rows among rows that several firings of Streaming
// emitted, as a sink or view does to keep one row per session across panes.
// It returns them ordered by device then start; rows is not modified.
//
// Rows of one device whose [SessionStart, SessionEnd] ranges overlap are
// versions of the same session: a late event can merge sessions or move a
// session's start, which changes its id, so rows are matched by device and
// range, never by id. Of overlapping rows the one with more events is the
// current one, then the one with the higher Version: panes accumulate, so a
// later firing of a session holds every event of the earlier ones, and more
// when anything changed. Version alone cannot decide: a merged or extended
// session is a new window whose pane index starts again at 0 (Beam's
// ReduceFnRunner clears the pane state of a merge result), and Prism versions
// panes per unmerged window. Rows are taken greedily in that order, skipping
// any row that overlaps one already kept, so the result never overlaps.
//
// Limitation: the rows of one runaway session are ranked one by one, so when
// a late event turns a session into a runaway (extending it to MaxLength,
// or merging it with another), each new piece is weighed against the older
// uncut row it overlaps: the older row wins over pieces with fewer events,
// so the result can lack pieces, or keep the older row beside one. A late
// event that only moves a runaway's start changes its first row alone: the
// cuts are at fixed instants.
func Latest(rows []schemas.Session) []schemas.Session {
	ranked := slices.Clone(rows)
	slices.SortFunc(ranked, func(a, b schemas.Session) int {
		return cmp.Or(
			cmp.Compare(a.DeviceID, b.DeviceID),
			cmp.Compare(b.EventCount, a.EventCount),
			cmp.Compare(b.Version, a.Version),
			a.SessionStart.Compare(b.SessionStart),
			cmp.Compare(a.SessionID, b.SessionID),
		)
	})
	kept := ranked[:0]
	device := 0 // start of the current device's rows in kept
	for _, r := range ranked {
		if device < len(kept) && kept[device].DeviceID != r.DeviceID {
			device = len(kept)
		}
		if !slices.ContainsFunc(kept[device:], func(k schemas.Session) bool { return overlaps(k, r) }) {
			kept = append(kept, r)
		}
	}
	slices.SortFunc(kept, func(a, b schemas.Session) int {
		return cmp.Or(
			cmp.Compare(a.DeviceID, b.DeviceID),
			a.SessionStart.Compare(b.SessionStart),
			cmp.Compare(a.SessionID, b.SessionID),
		)
	})
	return slices.Clip(kept)
}

// overlaps reports whether the closed ranges of two rows meet.
func overlaps(a, b schemas.Session) bool {
	return !a.SessionEnd.Before(b.SessionStart) && !b.SessionEnd.Before(a.SessionStart)
}
