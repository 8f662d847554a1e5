package warehousesql_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestFactSessionsNumbered: session numbers count every earlier session of
// the device (or user), on any date, whatever the query's date filter; the
// device's numbers stay when stitching changes, the user's follow it.
func TestFactSessionsNumbered(t *testing.T) {
	const h = 60 // minutes
	user := func(s schemas.Session, u string) schemas.Session {
		s.ResolvedUserKey = u
		return s
	}
	sessions := func(firstUser string) []schemas.Session {
		return []schemas.Session{
			user(version("d1", "s1", 10*h, 10*h+5, 2, 1), firstUser),
			user(version("d2", "s4", 11*h, 11*h+5, 2, 1), "u1"),
			user(version("d1", "s2", 12*h, 12*h+5, 2, 1), "u1"),
			user(version("d1", "s3", 33*h, 33*h+5, 2, 1), "u2"), // nov2 09:00
			version("d3", "s5", 34*h, 34*h+5, 2, 1),
		}
	}
	query := func(sessions []schemas.Session, from string) []string {
		w := openViews(t, nil, sessions, nil)
		start := nov1
		if from == "nov2" {
			start = nov2
		}
		res, err := w.Run(context.Background(), `
SELECT session_id, session_number, is_new_device, user_session_number, is_new_user
FROM fact_sessions_numbered
WHERE session_date BETWEEN @start_date AND @end_date
ORDER BY session_start`, warehousesql.Params{"start_date": models.DateOf(start), "end_date": models.DateOf(nov2)})
		if err != nil {
			t.Fatal(err)
		}
		return copies(res, "session_id", "session_number", "is_new_device", "user_session_number", "is_new_user")
	}

	got := query(sessions("u1"), "nov1")
	want := []string{
		"s1 1 true 1 true",
		"s4 1 true 2 false",
		"s2 2 false 3 false",
		"s3 3 false 1 true",
		"s5 1 true <nil> <nil>",
	}
	if !slices.Equal(got, want) {
		t.Errorf("numbers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := query(sessions("u1"), "nov2"), want[3:]; !slices.Equal(got, want) {
		t.Errorf("filtered on nov2:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// s1 no longer stitched to u1: its device's numbers stay, u1's shift.
	got = query(sessions(""), "nov1")
	want = []string{
		"s1 1 true <nil> <nil>",
		"s4 1 true 1 true",
		"s2 2 false 2 false",
		"s3 3 false 1 true",
		"s5 1 true <nil> <nil>",
	}
	if !slices.Equal(got, want) {
		t.Errorf("after re-stitching:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
