package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		stmts      []string
		rest       string
	}{
		{"one", "SELECT 1;\n", []string{"SELECT 1"}, "\n"},
		{"two on a line", "SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}, ""},
		{"open", "SELECT 1;\nSELECT\n  2", []string{"SELECT 1"}, "\nSELECT\n  2"},
		{"semicolon in a string", "SELECT 'a;b', \"c;d\";", []string{"SELECT 'a;b', \"c;d\""}, ""},
		{"string open across lines", "SELECT 'a;\n", nil, "SELECT 'a;\n"},
		{"semicolon in comments", "-- x; y\nSELECT /* ; */ 1;", []string{"-- x; y\nSELECT /* ; */ 1"}, ""},
		{"comment alone", "-- nothing;\n;", nil, ""},
		{"empty statements", ";;  ;", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stmts, rest := splitStatements(tc.text)
			if !slices.Equal(stmts, tc.stmts) || rest != tc.rest {
				t.Errorf("splitStatements(%q) = %q, %q; want %q, %q", tc.text, stmts, rest, tc.stmts, tc.rest)
			}
		})
	}
}

// TestShell pipes statements through the shell on a warehouse of three
// sessions, one of them written twice by streaming (two versions): the
// table has four rows, the view of sql/views three.
func TestShell(t *testing.T) {
	dir := t.TempDir()
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	session := func(id string, start time.Time, events, version int64) schemas.Session {
		return schemas.Session{
			SessionID: id, SessionDate: schemas.DateOf(start), DeviceID: "d-" + id[:1], SessionStart: start, SessionEnd: start.Add(time.Minute),
			DurationSeconds: 60, EventCount: events, PagePathSequence: []string{"/"}, DefaultChannelGroup: "Direct", DeviceType: "mobile", Version: version,
		}
	}
	rows := []schemas.Session{
		session("a1", day.Add(time.Hour), 1, 1),
		session("a1", day.Add(time.Hour), 2, 2),
		session("b1", day.Add(2*time.Hour), 1, 1),
		session("c1", day.Add(3*time.Hour), 1, 1),
	}
	if err := warehouse.Stage(dir, "shell", "fact_sessions", rows); err != nil {
		t.Fatal(err)
	}
	if _, err := warehouse.Commit(dir, "shell", nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, err := warehousesql.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.CreateViews(ctx, "../../sql/views"); err != nil {
		t.Fatal(err)
	}
	p := warehousesql.Params{"start_date": models.DateOf(day), "end_date": models.DateOf(day)}
	in := strings.NewReader(`SELECT COUNT(*) AS table_rows FROM fact_sessions
WHERE session_date BETWEEN @start_date AND @end_date;
SELECT COUNT(*) AS view_rows, MAX(event_count) AS most_events FROM fact_sessions_current
WHERE session_date BETWEEN @start_date AND @end_date; SELECT nope;
SELECT 1 AS after_error;
`)
	var out, errOut bytes.Buffer
	err = shell(ctx, w, p, "table", in, &out, &errOut, false)
	if err == nil || !strings.Contains(err.Error(), "1 statement(s) failed") {
		t.Errorf("shell: %v, want 1 statement failed", err)
	}
	want := `table_rows
----------
         4
(1 rows)
view_rows  most_events
---------  -----------
        3            2
(1 rows)
after_error
-----------
          1
(1 rows)
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if !strings.Contains(errOut.String(), `"nope" was not found`) {
		t.Errorf("errors: %q, want the failed statement's", errOut.String())
	}
}

func TestMentions(t *testing.T) {
	for _, c := range []struct {
		text, table string
		want        bool
	}{
		{"SELECT * FROM fact_sessions s", "fact_sessions", true},
		{"FROM fact_sessions\nWHERE", "fact_sessions", true},
		{"SELECT * FROM fact_sessions_current", "fact_sessions", false},
		{"SELECT * FROM fact_events", "reconciliation", false},
	} {
		if got := mentions(c.text, c.table); got != c.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", c.text, c.table, got, c.want)
		}
	}
}
