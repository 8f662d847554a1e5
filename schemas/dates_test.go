package schemas

import (
	"strings"
	"testing"
	"time"
)

func TestParseDates(t *testing.T) {
	got, err := ParseDates("2026-11-01, 2026-11-03..2026-11-05")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, d := range got {
		s = append(s, d.Format(time.DateOnly))
	}
	if want := "2026-11-01 2026-11-03 2026-11-04 2026-11-05"; strings.Join(s, " ") != want {
		t.Errorf("ParseDates = %v, want %s", s, want)
	}
	for _, bad := range []string{"2026-13-01", "2026-11-05..2026-11-01", "yesterday"} {
		if _, err := ParseDates(bad); err == nil {
			t.Errorf("ParseDates(%q) did not fail", bad)
		}
	}
}

// FormatDates writes runs of days as ranges, and ParseDates reads it back.
func TestFormatDates(t *testing.T) {
	for _, s := range []string{"2026-11-01", "2026-11-01..2026-11-03", "2026-10-31..2026-11-01,2026-11-03,2026-12-31..2027-01-02", ""} {
		dates, err := ParseDates(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatDates(dates); got != s {
			t.Errorf("FormatDates(ParseDates(%q)) = %q", s, got)
		}
	}
}
