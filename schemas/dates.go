package schemas

import (
	"fmt"
	"strings"
	"time"
)

// ParseDates parses a list of dates, the syntax of Run.DatesOwned and of the
// pipeline's --dates: comma-separated dates and inclusive ranges, e.g.
// "2026-11-01,2026-11-03..2026-11-05".
func ParseDates(s string) ([]time.Time, error) {
	var out []time.Time
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(part, "..")
		first, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return nil, fmt.Errorf("date %q: want YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD", part)
		}
		last := first
		if isRange {
			if last, err = time.Parse(time.DateOnly, to); err != nil || last.Before(first) {
				return nil, fmt.Errorf("date range %q: want YYYY-MM-DD..YYYY-MM-DD, first <= last", part)
			}
		}
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			out = append(out, d)
		}
	}
	return out, nil
}

// FormatDates writes dates in ParseDates' syntax, runs of consecutive days
// as ranges, e.g. "2026-11-01..2026-11-07,2026-11-09"; dates must be sorted
// and distinct.
func FormatDates(dates []time.Time) string {
	var parts []string
	for i := 0; i < len(dates); {
		j := i
		for j+1 < len(dates) && dates[j+1].Equal(dates[j].AddDate(0, 0, 1)) {
			j++
		}
		part := dates[i].Format(time.DateOnly)
		if j > i {
			part += ".." + dates[j].Format(time.DateOnly)
		}
		parts = append(parts, part)
		i = j + 1
	}
	return strings.Join(parts, ",")
}
