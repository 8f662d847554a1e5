package warehouse

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/example/clickstream/schemas"
)

func TestMain(m *testing.M) {
	// Rows cross Beam's coders as local times; a zone far from UTC shows any
	// place that takes a calendar date in the wrong zone.
	time.Local = time.FixedZone("UTC-7", -7*60*60)
	if ran, code := runHelper(); ran {
		os.Exit(code)
	}
	ptest.Main(m)
}

var (
	day1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day2 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	day3 = time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
)

func ptr[T any](v T) *T { return &v }

// makeEvents returns n events on date, numbered from first, with a mix of
// set and unset optional fields. Times have microsecond precision, as stored.
func makeEvents(tag string, date time.Time, first, n int) []schemas.Event {
	events := make([]schemas.Event, n)
	for i := range events {
		k := first + i
		at := date.Add(time.Duration(k)*time.Minute + 123456*time.Microsecond)
		e := schemas.Event{
			EventID:             fmt.Sprintf("%s-%s-%04d", tag, date.Format("0102"), k),
			EventType:           []string{"page_view", "product_view", "purchase"}[k%3],
			EventDate:           date,
			EventTime:           at,
			TimeSource:          "derived",
			CreatedAt:           at.Add(-time.Second),
			DeviceID:            fmt.Sprintf("dev-%d", k%7),
			DefaultChannelGroup: "Direct",
			DeviceType:          "desktop",
			Source:              "testdata/events.jsonl",
			SourceLine:          int64(k + 1),
		}
		if k%2 == 0 {
			e.SentAt = at.Add(-500 * time.Millisecond)
			e.ReceivedAt = at
			e.UserKey = fmt.Sprintf("user-%d", k)
			e.PageURL = "https://shop.example.com/p/1?utm_source=news"
			e.PageHost = "shop.example.com"
			e.UTMSource = "news"
		}
		if e.EventType == "purchase" {
			e.Price = ptr(float64(k) / 4)
			e.Quantity = ptr(int64(k % 4))
			e.Revenue = ptr(0.0)
			e.Currency = "EUR"
			e.OrderID = fmt.Sprintf("o-%d", k)
		}
		events[i] = e
	}
	return events
}

func makeBotEvents(date time.Time, n int) []schemas.BotEvent {
	bots := make([]schemas.BotEvent, n)
	for i, e := range makeEvents("bot", date, 0, n) {
		e.BotRule = schemas.BotRuleUserAgent
		e.BotDetail = "(?i)bot"
		if i%2 == 0 {
			e.IP = "203.0.113.0"
		}
		bots[i] = schemas.NewBotEvent(e)
	}
	return bots
}

func makeDeadLetters(date time.Time, n int) []schemas.DeadLetter {
	dls := make([]schemas.DeadLetter, n)
	for i := range dls {
		d := schemas.DeadLetter{
			DeadLetterDate: date,
			Reason:         "bad_json",
			Detail:         "unexpected end of input",
			Payload:        fmt.Sprintf(`{"event_id": "x%d"`, i),
			PayloadBytes:   int64(20 + i),
			Source:         "testdata/events.jsonl",
			SourceLine:     int64(i + 1),
		}
		if i%2 == 1 {
			d.EventID = fmt.Sprintf("x%d", i)
			d.Attributes = `{"k":"v"}`
		}
		dls[i] = d
	}
	return dls
}

// stage runs the staging DoFn of table directly, one bundle per element of
// bundles, as a runner would.
func stage(t *testing.T, out, runID, table string, bundles ...[]any) {
	t.Helper()
	ctx := context.Background()
	abs, err := filepath.Abs(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&beginFn{Out: abs, RunID: runID}).ProcessElement(nil); err != nil {
		t.Fatal(err)
	}
	fn := &stageFn{Out: abs, RunID: runID, Table: table}
	if err := fn.Setup(); err != nil {
		t.Fatal(err)
	}
	for _, rows := range bundles {
		if err := fn.StartBundle(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := fn.ProcessElement(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := fn.FinishBundle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := fn.Teardown(); err != nil {
		t.Fatal(err)
	}
}

func anys[T any](rows []T) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

func concat[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func mustCommit(t *testing.T, out, runID string, owned []time.Time) CommitResult {
	t.Helper()
	res, err := Commit(out, runID, owned)
	if err != nil {
		t.Fatalf("Commit(%s): %v", runID, err)
	}
	return res
}

// readAll reads every committed row of table, sorted by key.
func readAll[T any](t *testing.T, out, table string, key func(T) string) []T {
	t.Helper()
	rows, err := ReadRows[T](out, table, nil)
	if err != nil {
		t.Fatalf("ReadRows(%s): %v", table, err)
	}
	sortBy(rows, key)
	return rows
}

func sortBy[T any](rows []T, key func(T) string) {
	sort.SliceStable(rows, func(i, j int) bool { return key(rows[i]) < key(rows[j]) })
}

func eventKey(e schemas.Event) string           { return e.EventID }
func botKey(b schemas.BotEvent) string          { return b.EventID }
func deadLetterKey(d schemas.DeadLetter) string { return d.Payload }

// checkRows compares rows read back with the rows written.
func checkRows[T any](t *testing.T, what string, got, want []T, key func(T) string) {
	t.Helper()
	want = append([]T(nil), want...)
	sortBy(want, key)
	if len(got) != len(want) {
		t.Errorf("%s: read %d rows, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		// An empty list reads back as an empty slice, whether it was
		// written from a nil one or not: Parquet stores no difference.
		if !cmp.Equal(got[i], want[i], cmpopts.EquateEmpty()) {
			t.Errorf("%s: row %d:\n got %+v\nwant %+v", what, i, got[i], want[i])
			return
		}
	}
}

// tree lists every file and directory under dir with its size and
// modification time, to tell whether anything changed.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			out = append(out, rel+"/")
		} else {
			out = append(out, fmt.Sprintf("%s %d %d", rel, info.Size(), info.ModTime().UnixNano()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// layout is tree without sizes, times and file names, which differ between
// runs of the same input.
func layout(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, line := range tree(t, dir) {
		if strings.HasSuffix(line, "/") {
			out = append(out, line)
		}
	}
	return out
}

func noStaging(t *testing.T, out string) {
	t.Helper()
	if _, err := os.Stat(stagingRoot(out)); !os.IsNotExist(err) {
		t.Errorf("%s is left behind (stat: %v): %v", stagingRoot(out), err, tree(t, out))
	}
}
