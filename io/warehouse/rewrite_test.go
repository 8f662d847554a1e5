package warehouse

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/io/internal/parquetrows"
	"github.com/example/clickstream/schemas"
)

// StageColumn sets one column in the rows set picks, in every file of a
// partition, copies every other value as stored, stages only the
// partitions it changed, and rejects a repeated column and a failing set.
func TestStageColumn(t *testing.T) {
	out := t.TempDir()
	session := func(id string, day time.Time, resolved string) schemas.Session {
		return schemas.Session{SessionID: id, SessionDate: day, DeviceID: "d-" + id, ResolvedUserKey: resolved,
			SessionStart: day.Add(time.Hour), SessionEnd: day.Add(2 * time.Hour), PagePathSequence: []string{"/", "/p/" + id},
			TrafficSource: "(direct)", TrafficMedium: "(none)", TrafficCampaign: "(none)", DefaultChannelGroup: "Direct",
			DeviceType: "desktop", Version: 2}
	}
	first := []schemas.Session{session("s1", day1, ""), session("s2", day1, "old"), session("s3", day1, "keep")}
	second := []schemas.Session{session("s4", day1, ""), session("s5", day1, "gone")}
	other := []schemas.Session{session("s6", day2, "")}
	stage(t, out, "facts", "fact_sessions", anys(first), anys(concat(second, other))) // day1 in two files
	mustCommit(t, out, "facts", nil)
	before := tree(t, out)

	schema, err := parquetrows.Schema("fact_sessions")
	if err != nil {
		t.Fatal(err)
	}
	index := func(name string) int {
		leaf, _ := schema.Lookup(name)
		return leaf.ColumnIndex
	}
	leaf, _ := schema.Lookup("resolved_user_key")
	set := map[string]parquet.Value{
		"s2": parquet.ByteArrayValue([]byte("u2")).Level(0, leaf.MaxDefinitionLevel, leaf.ColumnIndex),
		"s5": parquet.NullValue().Level(0, leaf.MaxDefinitionLevel-1, leaf.ColumnIndex),
	}
	key := []int{index("session_id"), index("version")}
	edited, err := StageColumn(out, "dims", "fact_sessions", []time.Time{day1, day2}, key, leaf.ColumnIndex,
		func(_ time.Time, key []parquet.Value) (parquet.Value, bool, error) {
			if key[1].Int64() != 2 {
				return parquet.Value{}, false, errors.New("version is not 2")
			}
			v, ok := set[string(key[0].ByteArray())]
			return v, ok, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[time.Time]Edited{day1: {Rows: 5, Changed: 2}, day2: {Rows: 1}}; !reflect.DeepEqual(edited, want) {
		t.Errorf("edited %+v, want %+v", edited, want)
	}
	if staged, err := StagedDates(out, "dims", "fact_sessions"); err != nil || !slices.Equal(staged, []time.Time{day1}) {
		t.Errorf("staged %v (%v), want day1 only", staged, err)
	}
	if _, err := CommitScope(out, "dims", Scope{}); err != nil {
		t.Fatal(err)
	}
	want := concat(first, second, other)
	want[1].ResolvedUserKey, want[4].ResolvedUserKey = "u2", ""
	got := readAll(t, out, "fact_sessions", func(s schemas.Session) string { return s.SessionID })
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
	after := tree(t, out)
	for _, line := range before {
		if strings.HasPrefix(line, "fact_sessions/session_date=2026-11-02") && !slices.Contains(after, line) {
			t.Errorf("%s changed, but day2 had no change", line)
		}
	}

	if _, err := StageColumn(out, "repeated", "fact_sessions", nil, key, index("page_path_sequence"),
		func(time.Time, []parquet.Value) (parquet.Value, bool, error) { return parquet.Value{}, false, nil }); err == nil {
		t.Error("setting a repeated column returned no error")
	}
	_, err = StageColumn(out, "failing", "fact_sessions", nil, key, leaf.ColumnIndex,
		func(time.Time, []parquet.Value) (parquet.Value, bool, error) {
			return parquet.Value{}, false, errors.New("no key")
		})
	if err == nil || !strings.Contains(err.Error(), "no key") {
		t.Errorf("a failing set returned %v, want its error", err)
	}
}
