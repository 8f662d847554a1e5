//go:build cgo

// Package dailycost measures what a sequence of daily dimension steps reads
// as the warehouse's history grows. It runs the batch pipeline (Beam, on
// Prism) once, so it lives apart from io/dimensions, whose tests do not
// need Beam.
package dailycost

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

const days = 28

func TestMain(m *testing.M) { ptest.Main(m) }

// The generator's flags: 28 written days in steady state (about 2,100
// records a day), after 56 days of simulated history.
var sample = []string{"--seed", "3", "--events", "60000", "--days", "28", "--history_days", "56", "--lifetime_days", "14"}

// BenchmarkDailySteps runs 28 daily dimension steps, one per generated
// day, each after committing that day's facts, and reports the rows the
// step's models read on day 14 and on day 28: the rows DuckDB's table scans
// scanned (its profile's operator_rows_scanned) in the warehouse's Parquet
// files, and in the step's temporary tables. The facts come from one
// pipeline run over all the days (the sessions' resolved_user_key reset to
// their own login, as a daily run writes them), so the sequence sees the
// facts daily runs would commit.
//
//	go test -run - -bench DailySteps -benchtime 1x ./io/dimensions/dailycost/
func BenchmarkDailySteps(b *testing.B) {
	ctx := context.Background()
	data := b.TempDir()
	if err := groundtruth.Generate(data, sample...); err != nil {
		b.Fatal(err)
	}
	b.Setenv("CLICKSTREAM_COST_KEY", "cost-key")
	facts := filepath.Join(b.TempDir(), "facts")
	if _, err := pipelines.Run(ctx, pipelines.Config{
		Input:      []string{filepath.Join(data, "raw", "*", "*")},
		Output:     facts,
		HashKeyRef: "env:CLICKSTREAM_COST_KEY",
		BotIPFile:  filepath.Join(data, "bot_ip_denylist.txt"),
		Shards:     16,
	}); err != nil {
		b.Fatal(err)
	}
	rules := enrich.DefaultPageTypes().Rules()
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "warehouse")
		var perDay []reads
		for d := range days {
			date := time.Date(2026, 11, 1+d, 0, 0, 0, 0, time.UTC)
			commitDay(b, facts, out, date)
			perDay = append(perDay, step(b, out, date, rules))
		}
		for _, d := range []int{0, 6, 13, 20, 27} {
			b.Logf("day %2d: %s", d+1, perDay[d])
		}
		d14, d28 := perDay[13].total(), perDay[27].total()
		b.ReportMetric(float64(d14), "rows_day14")
		b.ReportMetric(float64(d28), "rows_day28")
		b.ReportMetric(float64(d28)/float64(d14), "day28/day14")
	}
}

// reads are the rows one step read, per warehouse table, and from its
// temporary tables.
type reads struct {
	tables      map[string]int64
	temporary   int64
	conditional []string
	dims        dimensions.Result
}

func (r reads) total() int64 {
	var n int64
	for _, v := range r.tables {
		n += v
	}
	return n
}

func (r reads) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6d rows from the warehouse (", r.total())
	for i, t := range slices.Sorted(maps.Keys(r.tables)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", t, r.tables[t])
	}
	fmt.Fprintf(&b, "), %d from temporary tables", r.temporary)
	if len(r.conditional) > 0 {
		fmt.Fprintf(&b, "; conditional models %v", r.conditional)
	}
	fmt.Fprintf(&b, "; dimension rows: devices %d, bridge %d, users %d, pages %d",
		r.dims.Devices, r.dims.DeviceUsers, r.dims.Users, r.dims.Pages)
	return b.String()
}

// commitDay copies date's fact partitions from the warehouse facts to out
// and marks the date pending, as a daily run's commit would: sessions carry
// their own login as resolved_user_key.
func commitDay(b *testing.B, facts, out string, date time.Time) {
	b.Helper()
	run := "facts-" + date.Format("20060102")
	events, err := warehouse.ReadRows[schemas.Event](facts, "fact_events", []time.Time{date})
	if err != nil {
		b.Fatal(err)
	}
	sessions, err := warehouse.ReadRows[schemas.Session](facts, "fact_sessions", []time.Time{date})
	if err != nil {
		b.Fatal(err)
	}
	for i := range sessions {
		sessions[i].ResolvedUserKey = sessions[i].UserKey
	}
	if err := warehouse.Stage(out, run, "fact_events", events); err != nil {
		b.Fatal(err)
	}
	if err := warehouse.Stage(out, run, "fact_sessions", sessions); err != nil {
		b.Fatal(err)
	}
	if err := warehouse.Stage(out, run, "state_dates", dimensions.Pending(run, []time.Time{date})); err != nil {
		b.Fatal(err)
	}
	if _, err := warehouse.Commit(out, run, nil); err != nil {
		b.Fatal(err)
	}
}

func step(b *testing.B, out string, date time.Time, rules []schemas.PageTypeRule) reads {
	b.Helper()
	ctx := context.Background()
	run := "dims-" + date.Format("20060102")
	e, err := duck.NewEngine(ctx, out, run)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := e.Close(); err != nil {
			b.Error(err)
		}
	}()
	res, err := dimensions.Run(ctx, e, dimensions.Options{RunID: run, Dates: []time.Time{date}, PageTypes: rules})
	if err != nil {
		b.Fatal(err)
	}
	r := reads{tables: map[string]int64{}, conditional: res.Conditional, dims: res}
	for _, m := range e.Reads() {
		for t, n := range m.Tables {
			r.tables[t] += n
		}
		r.temporary += m.Temporary
	}
	return r
}
