package warehouse

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

// The same input committed by two runs gives the same rows, once, and the
// same layout; a third run that owns one date replaces that date only.
func TestCommitIdempotent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "warehouse")
	in := threeTables()

	runPipeline(t, out, "run-1", in)
	mustCommit(t, out, "run-1", nil)
	first := layout(t, out)

	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	runPipeline(t, out, "run-2", in)
	mustCommit(t, out, "run-2", nil)
	if second := layout(t, out); !slices.Equal(first, second) {
		t.Errorf("layout after the second run:\n%v\nwant as after the first:\n%v", second, first)
	}
	noStaging(t, out)
	checkRows(t, "fact_events", readAll(t, out, "fact_events", eventKey), in.allEvents(), eventKey)
	checkRows(t, "bot_events", readAll(t, out, "bot_events", botKey), in.bots, botKey)
	checkRows(t, "dead_letter", readAll(t, out, "dead_letter", deadLetterKey), in.deadLetter, deadLetterKey)

	// Run 3 owns day1 only. It also produced late rows for day2, which it
	// does not own: they are dropped and day2 is left as it was.
	before := tree(t, out)
	rerun := input{events: [][]schemas.Event{concat(makeEvents("new", day1, 0, 5), makeEvents("late", day2, 0, 2))}}
	runPipeline(t, out, "run-3", rerun)
	res := mustCommit(t, out, "run-3", []time.Time{day1.Add(5 * time.Hour)})
	noStaging(t, out)

	var want []schemas.Event
	for _, e := range in.allEvents() {
		if !e.EventDate.Equal(day1) {
			want = append(want, e)
		}
	}
	want = append(want, makeEvents("new", day1, 0, 5)...)
	checkRows(t, "fact_events", readAll(t, out, "fact_events", eventKey), want, eventKey)
	// bot_events had day1 rows; run 3 owns day1 and staged none, so they go.
	var wantBots []schemas.BotEvent
	for _, b := range in.bots {
		if !b.EventDate.Equal(day1) {
			wantBots = append(wantBots, b)
		}
	}
	checkRows(t, "bot_events", readAll(t, out, "bot_events", botKey), wantBots, botKey)
	checkRows(t, "dead_letter", readAll(t, out, "dead_letter", deadLetterKey), in.deadLetter, deadLetterKey)

	after := tree(t, out)
	for _, line := range before {
		if strings.Contains(line, "event_date=2026-11-01") {
			continue
		}
		if !slices.Contains(after, line) {
			t.Errorf("%s changed although run 3 does not own its date", line)
		}
	}
	for _, tc := range res.Tables {
		switch tc.Table {
		case "fact_events":
			if len(tc.Replaced) != 1 || unmarked(tc.Replaced[0]) != (Partition{Date: day1, Rows: 5, Files: 1}) {
				t.Errorf("fact_events replaced %+v, want day1 with 5 rows in 1 file", tc.Replaced)
			}
			if len(tc.Discarded) != 1 || unmarked(tc.Discarded[0]) != (Partition{Date: day2, Rows: 2, Files: 1}) {
				t.Errorf("fact_events discarded %+v, want day2 with 2 rows", tc.Discarded)
			}
		case "dim_device_users", "dim_devices", "dim_users", "dim_pages", "dimension_lease", "erasure_requests", "erasure_log":
			// Unpartitioned, and not staged: left alone.
			if len(tc.Replaced)+len(tc.Discarded) != 0 {
				t.Errorf("%s replaced %+v, discarded %+v; want neither", tc.Table, tc.Replaced, tc.Discarded)
			}
		default:
			if len(tc.Replaced) != 1 || tc.Replaced[0] != (Partition{Date: day1}) {
				t.Errorf("%s replaced %+v, want day1 emptied", tc.Table, tc.Replaced)
			}
		}
	}
	if dates, _ := Dates(out, "bot_events"); slices.Contains(dates, day1) {
		t.Errorf("bot_events still has a day1 partition: %v", dates)
	}
}

// unmarked is p without its marker, a random file name.
func unmarked(p Partition) Partition {
	p.Marker = ""
	return p
}

func TestCommitTwice(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-1", "fact_events", anys(makeEvents("a", day1, 0, 3)))
	mustCommit(t, out, "run-1", []time.Time{day1})
	if _, err := Commit(out, "run-1", []time.Time{day1}); !errors.Is(err, ErrNotStaged) {
		t.Errorf("second Commit: %v, want ErrNotStaged", err)
	}
	if n, _ := CountRows(out, "fact_events", nil); n[day1] != 3 {
		t.Errorf("day1 has %d rows after a repeated commit, want 3", n[day1])
	}
}

// A run whose pipeline ran but staged nothing empties the dates it owns.
func TestCommitEmptyRun(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-1", "fact_events", anys(makeEvents("a", day1, 0, 3)))
	mustCommit(t, out, "run-1", nil)
	stage(t, out, "run-2", "fact_events")
	res := mustCommit(t, out, "run-2", []time.Time{day1})
	if got := res.Rows("fact_events"); !equalCounts(got, map[time.Time]int64{day1: 0}) {
		t.Errorf("CommitResult.Rows = %v, want day1: 0", got)
	}
	if dates, _ := Dates(out, "fact_events"); len(dates) != 0 {
		t.Errorf("Dates = %v, want none", dates)
	}
}

func TestCommitRejectsDamagedStaging(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-1", "fact_events", anys(makeEvents("a", day1, 0, 3)))
	mustCommit(t, out, "run-1", nil)
	before := tree(t, out)

	stage(t, out, "run-2", "fact_events", anys(makeEvents("b", day1, 0, 3)))
	files, _ := partFiles(stagedDir(out, "run-2", "fact_events", "event_date=2026-11-01"))
	if err := os.Truncate(files[0], 100); err != nil {
		t.Fatal(err)
	}
	if _, err := Commit(out, "run-2", nil); err == nil {
		t.Fatal("Commit accepted a truncated file")
	}
	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	if after := tree(t, out); !slices.Equal(before, after) {
		t.Errorf("a failed commit changed the warehouse:\n%v\nwant\n%v", after, before)
	}
}

// committed is the visible content of the crash tests' warehouse.
type committed map[time.Time][]string // date -> sorted event ids

func visible(t *testing.T, out string) committed {
	t.Helper()
	c := make(committed)
	rows, err := ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rows {
		c[e.EventDate] = append(c[e.EventDate], e.EventID)
	}
	for d := range c {
		slices.Sort(c[d])
	}
	return c
}

func ids(events []schemas.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.EventID)
	}
	slices.Sort(out)
	return out
}

// crashSetup commits run-0 (day1 and day2) and stages run-1, which owns
// day1 (new rows), day2 (no rows: removed) and day3 (new). It returns the
// partitions before and after run-1's commit.
func crashSetup(t *testing.T, out string) (oldParts, newParts committed) {
	stage(t, out, "run-0", "fact_events",
		anys(concat(makeEvents("old", day1, 0, 30), makeEvents("old", day2, 0, 20))),
		anys(makeEvents("old", day1, 30, 10)))
	mustCommit(t, out, "run-0", nil)
	stage(t, out, "run-1", "fact_events",
		anys(concat(makeEvents("new", day1, 0, 15), makeEvents("new", day3, 0, 5))),
		anys(makeEvents("new", day1, 15, 15)))
	oldParts = committed{
		day1: ids(makeEvents("old", day1, 0, 40)),
		day2: ids(makeEvents("old", day2, 0, 20)),
	}
	newParts = committed{
		day1: ids(makeEvents("new", day1, 0, 30)),
		day3: ids(makeEvents("new", day3, 0, 5)),
	}
	return oldParts, newParts
}

var crashOwned = []time.Time{day1, day2, day3}

// A crash after staging, before the commit, changes nothing visible, and
// Recover removes the staging. So does a crash while the journal is written.
func TestCrashBeforeCommit(t *testing.T) {
	for _, journalTmp := range []bool{false, true} {
		out := t.TempDir()
		oldParts, _ := crashSetup(t, out)
		if journalTmp {
			if err := os.WriteFile(journalPath(out, "run-1")+".tmp", []byte(`{"run_id": "ru`), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		before := tree(t, filepath.Join(out, "fact_events"))
		if err := Recover(out); err != nil {
			t.Fatal(err)
		}
		if after := tree(t, filepath.Join(out, "fact_events")); !slices.Equal(before, after) {
			t.Errorf("Recover changed visible partitions:\n%v\nwant\n%v", after, before)
		}
		if got := visible(t, out); !equalCommitted(got, oldParts) {
			t.Errorf("after Recover: %v, want the old partitions", got)
		}
		noStaging(t, out)
		if _, err := Commit(out, "run-1", crashOwned); !errors.Is(err, ErrNotStaged) {
			t.Errorf("Commit of a recovered run: %v, want ErrNotStaged", err)
		}
	}
}

// A crash after any step of a commit leaves every visible partition whole,
// old or new, never absent when both exist (day1: exchanged in one step), and
// Recover completes the commit.
func TestCrashDuringCommit(t *testing.T) {
	for steps := 0; ; steps++ {
		out := t.TempDir()
		oldParts, newParts := crashSetup(t, out)
		c, err := beginCommit(out, "run-1", Scope{"fact_events": crashOwned})
		if err != nil {
			t.Fatal(err)
		}
		done := false
		for range steps {
			if done, err = c.step(); err != nil {
				t.Fatalf("step: %v", err)
			}
			if done {
				break
			}
		}
		if done {
			t.Logf("the commit took %d steps", steps)
			if steps < 7 {
				t.Errorf("the commit took %d steps, want at least 7 (3 swaps, cleanup)", steps)
			}
			return
		}
		// Crash: the committer is lost. Each partition must be whole.
		got := visible(t, out)
		for _, d := range crashOwned {
			if !slices.Equal(got[d], oldParts[d]) && !slices.Equal(got[d], newParts[d]) {
				t.Errorf("after %d steps: %s holds %d rows, neither the old %d nor the new %d", steps, d.Format("2006-01-02"), len(got[d]), len(oldParts[d]), len(newParts[d]))
			}
		}
		if err := Recover(out); err != nil {
			t.Fatalf("after %d steps: Recover: %v", steps, err)
		}
		if got := visible(t, out); !equalCommitted(got, newParts) {
			t.Errorf("after %d steps and Recover: %v, want the new partitions %v", steps, summary(got), summary(newParts))
		}
		noStaging(t, out)
		for _, e := range tree(t, out) {
			if strings.Contains(e, oldDir) || strings.Contains(e, tmpDir) {
				t.Errorf("after %d steps and Recover: %s left behind", steps, e)
			}
		}
	}
}

// Commit, called again after a failure part way, resumes the recorded
// commit rather than planning a new one.
func TestCommitResumes(t *testing.T) {
	out := t.TempDir()
	_, newParts := crashSetup(t, out)
	c, err := beginCommit(out, "run-1", Scope{"fact_events": crashOwned})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.step(); err != nil {
			t.Fatal(err)
		}
	}
	res := mustCommit(t, out, "run-1", nil)
	if got := res.Rows("fact_events"); !equalCounts(got, map[time.Time]int64{day1: 30, day2: 0, day3: 5}) {
		t.Errorf("resumed commit's rows = %v, want those of the recorded plan", got)
	}
	if got := visible(t, out); !equalCommitted(got, newParts) {
		t.Errorf("after resuming: %v, want %v", summary(got), summary(newParts))
	}
	noStaging(t, out)
}

func TestRecoverRestoresOrphanBackup(t *testing.T) {
	out := t.TempDir()
	oldParts, _ := crashSetup(t, out)
	// A backup without a journal: no commit of ours leaves one, but should
	// one be found with its partition missing, it is put back.
	name := "event_date=2026-11-01"
	if err := rename(finalDir(out, "fact_events", name), backupDir(out, "run-1", "fact_events", name)); err != nil {
		t.Fatal(err)
	}
	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	if got := visible(t, out); !equalCommitted(got, oldParts) {
		t.Errorf("after Recover: %v, want %v", summary(got), summary(oldParts))
	}
	noStaging(t, out)
}

func equalCommitted(a, b committed) bool {
	if len(a) != len(b) {
		return false
	}
	for d, ids := range a {
		if !slices.Equal(ids, b[d]) {
			return false
		}
	}
	return true
}

func summary(c committed) map[string]int {
	s := make(map[string]int)
	for d, ids := range c {
		s[d.Format("2006-01-02")] = len(ids)
	}
	return s
}
