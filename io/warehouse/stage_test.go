package warehouse

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

func devices(ids ...string) []schemas.Device {
	var out []schemas.Device
	for _, id := range ids {
		out = append(out, schemas.Device{DeviceID: id, FirstSeenAt: day1, LastSeenAt: day1.Add(time.Hour), DeviceType: "desktop"})
	}
	return out
}

func deviceIDs(t *testing.T, out string) []string {
	t.Helper()
	rows, err := ReadRows[schemas.Device](out, "dim_devices", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range rows {
		ids = append(ids, d.DeviceID)
	}
	slices.Sort(ids)
	return ids
}

// Stage and Commit(nil) from the driver replace an unpartitioned table whole
// and exactly the staged partitions of a partitioned one; the pipeline's
// commit with owned dates leaves an unpartitioned table it did not stage
// alone.
func TestStageReplacesStagedOnly(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-0", "fact_events", anys(concat(makeEvents("old", day1, 0, 3), makeEvents("old", day2, 0, 2))))
	mustCommit(t, out, "run-0", nil)

	if err := Stage(out, "dims-1", "dim_devices", devices("a", "b")); err != nil {
		t.Fatal(err)
	}
	res := mustCommit(t, out, "dims-1", nil)
	if got := deviceIDs(t, out); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("dim_devices = %v, want [a b]", got)
	}
	if got := res.Rows("dim_devices"); !reflect.DeepEqual(got, map[time.Time]int64{{}: 2}) {
		t.Errorf("commit replaced %v of dim_devices, want 2 rows", got)
	}
	if n := len(res.Rows("fact_events")); n != 0 {
		t.Errorf("commit replaced %d fact_events partitions, want none", n)
	}
	if dates, err := Dates(out, "dim_devices"); err != nil || dates != nil {
		t.Errorf("Dates(dim_devices) = %v, %v; want none", dates, err)
	}

	before := tree(t, out)
	if err := Stage(out, "fix-2", "fact_events", makeEvents("new", day2, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := Stage(out, "fix-2", "dim_devices", devices("c")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, out, "fix-2", nil)
	noStaging(t, out)
	if got := deviceIDs(t, out); !slices.Equal(got, []string{"c"}) {
		t.Errorf("dim_devices = %v, want [c]: replaced whole", got)
	}
	if got, want := visible(t, out), (committed{day1: ids(makeEvents("old", day1, 0, 3)), day2: ids(makeEvents("new", day2, 0, 1))}); !equalCommitted(got, want) {
		t.Errorf("fact_events %v, want %v", summary(got), summary(want))
	}
	after := tree(t, out)
	for _, line := range before {
		if strings.HasPrefix(line, "fact_events/event_date=2026-11-01") && !slices.Contains(after, line) {
			t.Errorf("%s changed, but day1 was not staged", line)
		}
	}

	// A pipeline run owning day1 does not touch the dims it did not stage.
	stage(t, out, "run-3", "fact_events", anys(makeEvents("again", day1, 0, 1)))
	mustCommit(t, out, "run-3", []time.Time{day1})
	if got := deviceIDs(t, out); !slices.Equal(got, []string{"c"}) {
		t.Errorf("dim_devices = %v after a pipeline commit, want [c]", got)
	}

	// An empty unpartitioned table still gets a file: it is emptied.
	if err := Stage[schemas.Device](out, "dims-4", "dim_devices", nil); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, out, "dims-4", nil)
	if got := deviceIDs(t, out); len(got) != 0 {
		t.Errorf("dim_devices = %v, want empty", got)
	}
	if err := Stage(out, "dims-5", "dim_devices", makeEvents("x", day1, 0, 1)); err == nil {
		t.Error("staging events as dim_devices did not fail")
	}
}

// A crash in the middle of replacing an unpartitioned table is completed by
// Recover from the journal, and an orphan backup is put back.
func TestRecoverUnpartitioned(t *testing.T) {
	out := t.TempDir()
	if err := Stage(out, "dims-1", "dim_devices", devices("a")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, out, "dims-1", nil)
	if err := Stage(out, "dims-2", "dim_devices", devices("b")); err != nil {
		t.Fatal(err)
	}
	c, err := beginCommit(out, "dims-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.step(); err != nil { // table renamed to the backup only
		t.Fatal(err)
	}
	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	noStaging(t, out)
	if got := deviceIDs(t, out); !slices.Equal(got, []string{"b"}) {
		t.Errorf("dim_devices = %v after recovery, want [b]", got)
	}

	if err := rename(finalDir(out, "dim_devices", ""), backupDir(out, "dims-3", "dim_devices", "")); err != nil {
		t.Fatal(err)
	}
	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	if got := deviceIDs(t, out); !slices.Equal(got, []string{"b"}) {
		t.Errorf("dim_devices = %v after restoring the backup, want [b]", got)
	}
	noStaging(t, out)
}

// CommitScope replaces the listed dates of the listed tables (emptying
// those the run staged nothing for), drops what a listed table staged for
// other dates, and gives an unlisted table exactly what was staged: a step
// can empty one partition of one table without touching the others.
func TestCommitScope(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-0", "fact_events", anys(concat(makeEvents("old", day1, 0, 3), makeEvents("old", day2, 0, 2))))
	stage(t, out, "run-0", "bot_events", anys(concat(makeBotEvents(day1, 2), makeBotEvents(day2, 2))))
	stage(t, out, "run-0", "dead_letter", anys(makeDeadLetters(day1, 2)))
	mustCommit(t, out, "run-0", nil)

	if err := Stage(out, "step-1", "fact_events", makeEvents("new", day2, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := Stage(out, "step-1", "bot_events", makeBotEvents(day3, 1)); err != nil {
		t.Fatal(err)
	}
	if err := Stage(out, "step-1", "dim_devices", devices("a")); err != nil {
		t.Fatal(err)
	}
	res, err := CommitScope(out, "step-1", Scope{"fact_events": {day1, day2}, "bot_events": {day1}})
	if err != nil {
		t.Fatal(err)
	}
	noStaging(t, out)
	if got, want := visible(t, out), (committed{day2: ids(makeEvents("new", day2, 0, 1))}); !equalCommitted(got, want) {
		t.Errorf("fact_events %v, want day1 emptied and day2 replaced: %v", summary(got), summary(want))
	}
	if dates, _ := Dates(out, "bot_events"); !slices.Equal(dates, []time.Time{day2}) {
		t.Errorf("bot_events partitions %v, want day1 emptied, day2 untouched, day3 dropped", dates)
	}
	if n, _ := CountRows(out, "dead_letter", nil); n[day1] != 2 {
		t.Errorf("dead_letter day1 holds %d rows, want its 2: the scope does not list it", n[day1])
	}
	if got := deviceIDs(t, out); !slices.Equal(got, []string{"a"}) {
		t.Errorf("dim_devices = %v, want [a]: staged, so replaced", got)
	}
	for _, tc := range res.Tables {
		if tc.Table == "bot_events" && (len(tc.Discarded) != 1 || !tc.Discarded[0].Date.Equal(day3)) {
			t.Errorf("bot_events discarded %+v, want day3", tc.Discarded)
		}
	}
	if _, err := CommitScope(out, "step-2", Scope{"no_such_table": nil}); err == nil || !strings.Contains(err.Error(), "unknown table") {
		t.Errorf("a scope naming an unknown table: %v, want an error", err)
	}
}
