package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/tools/runstatus/runstatustest"
)

func TestMain(m *testing.M) { ptest.Main(m) }

// sqlDir holds the queries the report runs.
const repoSQL = "../../sql"

// TestReportInBrowser runs the batch pipeline on a generated day, writes the
// report of the run and opens it in headless Chromium: the page loads
// without console errors, every chart is drawn with data, and the figures
// the charts show are the generator's truth (where the input records went,
// sessions per hour).
func TestReportInBrowser(t *testing.T) {
	browser := chromium(t)
	tmp := t.TempDir()
	data, wh := filepath.Join(tmp, "data"), filepath.Join(tmp, "warehouse")
	if err := groundtruth.Generate(data, "--seed", "13", "--events", "6000", "--days", "1"); err != nil {
		t.Fatal(err)
	}
	geoDB, err := groundtruth.GeoDB(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLICKSTREAM_REPORT_TEST_KEY", "report-test-key")
	sum, err := pipelines.Run(context.Background(), pipelines.Config{
		Input:      []string{filepath.Join(data, "raw", "*", "*")},
		Output:     wh,
		HashKeyRef: "env:CLICKSTREAM_REPORT_TEST_KEY",
		BotIPFile:  filepath.Join(data, "bot_ip_denylist.txt"),
		GeoDB:      geoDB,
	})
	if err != nil {
		t.Fatal(err)
	}
	path, err := run(context.Background(), wh, repoSQL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(wh, "_runs", sum.RunID+".html"); path != want {
		t.Errorf("report written to %s, want %s", path, want)
	}

	page := open(t, browser, path, filepath.Join(os.TempDir(), "clickstream-report-test.png"))
	for _, e := range page.Errors {
		t.Errorf("console: %s", e)
	}
	var ids []string
	for _, c := range page.Charts {
		ids = append(ids, c.ID)
		if !c.Drawn || c.Painted == 0 || c.total() <= 0 {
			t.Errorf("chart %s: drawn %v, %d pixels painted, values add up to %v: want a chart with data",
				c.ID, c.Drawn, c.Painted, c.total())
		}
	}
	wantIDs := []string{"outcomes", "outcome_details", "funnel", "hourly_sessions", "hourly_conversion", "landing_pages", "countries"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("charts %v, want %v", ids, wantIDs)
	}
	if !strings.HasPrefix(page.Verdict, "Reconciled") {
		t.Errorf("verdict %q, want Reconciled", page.Verdict)
	}
	if !strings.Contains(page.Geo, "IP Geolocation by DB-IP") {
		t.Errorf("sessions by country: %q, want DB-IP's attribution", page.Geo)
	}

	truth, err := groundtruth.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	checkOutcomes(t, page, truth)
	checkSessions(t, page, truth)
	checkCountries(t, page, truth)
}

// checkCountries compares the sessions-by-country chart with the truth's
// sessions by the country of their first event.
func checkCountries(t *testing.T, page *browserPage, truth []groundtruth.Record) {
	t.Helper()
	first := map[string]groundtruth.Record{}
	for _, r := range truth {
		if f, ok := first[r.Session]; r.Outcome == "event" && (!ok || r.EventTime.Before(f.EventTime)) {
			first[r.Session] = r
		}
	}
	want := map[string]float64{}
	for _, r := range first {
		country := r.GeoCountry
		if country == "" {
			country = "(not set)"
		}
		want[country]++
	}
	if got := page.chart(t, "countries").byLabel(); !maps.Equal(got, want) {
		t.Errorf("sessions by country %v, truth %v", got, want)
	}
}

// checkOutcomes compares the records chart and the bots and dead letters
// chart with the truth's outcomes, rules and reasons.
func checkOutcomes(t *testing.T, page *browserPage, truth []groundtruth.Record) {
	t.Helper()
	want := map[string]float64{}
	wantDetails := map[string]float64{}
	names := map[string]string{"event": "events", "duplicate": "duplicates", "bot": "bots", "dead_letter": "dead_letter"}
	for _, r := range truth {
		name, ok := names[r.Outcome]
		if !ok {
			t.Fatalf("unknown truth outcome %q", r.Outcome)
		}
		want[name]++
		switch r.Outcome {
		case "bot":
			wantDetails["bots: "+r.BotRule]++
		case "dead_letter":
			wantDetails["dead_letter: "+r.Reason]++
		}
	}
	for _, c := range []struct {
		id   string
		want map[string]float64
	}{{"outcomes", want}, {"outcome_details", wantDetails}} {
		got := page.chart(t, c.id).byLabel()
		for label, n := range got {
			if n != c.want[label] {
				t.Errorf("chart %s: %s = %v, truth %v", c.id, label, n, c.want[label])
			}
		}
		for label, n := range c.want {
			if _, ok := got[label]; !ok {
				t.Errorf("chart %s: no %s, truth %v", c.id, label, n)
			}
		}
	}
}

// checkSessions compares the funnel's first step with the truth's sessions
// by the UTC date of their first event, and the sessions per hour (all
// channel groups together) with the truth's by the hour of their first
// event, over the days with sessions.
func checkSessions(t *testing.T, page *browserPage, truth []groundtruth.Record) {
	t.Helper()
	start := map[string]time.Time{}
	for _, r := range truth {
		if r.Outcome != "event" {
			continue
		}
		if s, ok := start[r.Session]; !ok || r.EventTime.Before(s) {
			start[r.Session] = r.EventTime
		}
	}
	var days []string
	for _, s := range start {
		if d := s.UTC().Format(time.DateOnly); !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	want := make([]float64, 24*len(days))
	perDay := map[string]float64{}
	for _, s := range start {
		day := s.UTC().Format(time.DateOnly)
		want[24*slices.Index(days, day)+s.UTC().Hour()]++
		perDay[day]++
	}
	funnel := map[string]float64{}
	for _, d := range page.chart(t, "funnel").Datasets {
		if len(d.Data) > 0 && d.Data[0] != nil {
			funnel[d.Label] = *d.Data[0]
		}
	}
	if !maps.Equal(funnel, perDay) {
		t.Errorf("funnel sessions by day %v, truth %v", funnel, perDay)
	}
	c := page.chart(t, "hourly_sessions")
	if len(c.Labels) != len(want) {
		t.Fatalf("hourly_sessions: %d hours (%v), want 24 of each of %v", len(c.Labels), c.Labels, days)
	}
	got := make([]float64, len(want))
	for _, d := range c.Datasets {
		for i, v := range d.Data {
			if v != nil {
				got[i] += *v
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("sessions per hour %v, truth %v", got, want)
	}
}

// TestReportOfFailedRun writes the report of a run whose load failed, from
// a warehouse holding only the run's account: the verdict gives the problem,
// the records chart the account's outcomes, and the sections without
// sessions say so instead of drawing empty charts.
func TestReportOfFailedRun(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a := runstatustest.DailyRun("daily-1", "", day, day.Add(26*time.Hour))
	a.FailPartition("fact_events", day, "quota <exceeded>")
	wh := t.TempDir()
	runstatustest.PutLocal(t, wh, a)
	out := filepath.Join(t.TempDir(), "report.html")
	path, err := run(context.Background(), wh, repoSQL, "daily-1", out)
	if err != nil {
		t.Fatal(err)
	}
	if path != out {
		t.Errorf("report written to %s, want %s", path, out)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		`<div class="verdict bad" id="verdict">Not reconciled.`,
		"<li>" + html.EscapeString(a.Run.Problems[0]) + "</li>",
		"No sessions on the dates the run owns.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// table_name, partitions, failed_partitions, rows_counted,
	// rows_read_back, mismatched_partitions, derived_rows
	wantPartitions := [][]string{
		{"bot_events", "1", "0", "40", "40", "0", ""},
		{"dead_letter", "1", "0", "25", "25", "0", ""},
		{"dim_device_users", "1", "0", "", "", "0", "90"},
		{"dim_devices", "1", "0", "", "", "0", "300"},
		{"dim_pages", "1", "0", "", "", "0", "50"},
		{"dim_users", "1", "0", "", "", "0", "80"},
		{"fact_events", "1", "1", "900", "", "0", ""},
		{"fact_sessions", "2", "0", "120", "120", "0", "110"},
	}
	if got := tableRows(t, text, "reconciliation"); !slices.EqualFunc(got, wantPartitions, slices.Equal) {
		t.Errorf("partitions table:\n%v\nwant\n%v", got, wantPartitions)
	}
	charts := chartsOf(t, text)
	var ids []string
	for _, c := range charts {
		ids = append(ids, c.ID)
	}
	if want := []string{"outcomes", "outcome_details"}; !slices.Equal(ids, want) {
		t.Fatalf("charts %v, want %v", ids, want)
	}
	wantOutcomes := map[string]float64{"events": 900, "duplicates": 30, "bots": 40, "dead_letter": 25, "out_of_range": 3, "unwritable": 0, "erased": 2}
	wantDetails := map[string]float64{"bots: rate": 30, "bots: ip": 10, "dead_letter: bad_json": 20, "dead_letter: too_large": 5}
	for i, want := range []map[string]float64{wantOutcomes, wantDetails} {
		c := charts[i]
		if got := c.byLabel(); !maps.Equal(got, want) {
			t.Errorf("chart %s: %v, want %v", c.ID, got, want)
		}
	}
}

// TestReportWithoutRun: a warehouse without the run asked for is an error
// naming it, and no report is written.
func TestReportWithoutRun(t *testing.T) {
	wh := t.TempDir()
	for _, id := range []string{"", "nope"} {
		_, err := run(context.Background(), wh, repoSQL, id, "")
		if err == nil || (id != "" && !strings.Contains(err.Error(), fmt.Sprintf("%q", id))) {
			t.Errorf("run %q: error %v, want no such run", id, err)
		}
	}
	if _, err := os.Stat(filepath.Join(wh, "_runs")); !os.IsNotExist(err) {
		t.Errorf("_runs after failed reports: %v, want none", err)
	}
}

// tableRows reads the cells of the body rows of the first table in the
// page's section id.
func tableRows(t *testing.T, page, id string) [][]string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `<section id="`+id+`">`)
	if !ok {
		t.Fatalf("no section %s", id)
	}
	rest, _, _ = strings.Cut(rest, "</section>")
	_, body, ok := strings.Cut(rest, "<tbody>")
	if !ok {
		t.Fatalf("section %s has no table", id)
	}
	body, _, _ = strings.Cut(body, "</tbody>")
	var rows [][]string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(m[1], -1) {
			cells = append(cells, html.UnescapeString(c[1]))
		}
		rows = append(rows, cells)
	}
	return rows
}

var (
	rowRE  = regexp.MustCompile(`<tr>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`<td[^>]*>(.*?)</td>`)
)

// chartsOf reads the chart specs a page embeds for draw.js.
func chartsOf(t *testing.T, page string) []drawnChart {
	t.Helper()
	const marker = `<script type="application/json" id="charts">`
	_, rest, ok := strings.Cut(page, marker)
	if !ok {
		t.Fatal("no chart specs in the page")
	}
	spec, _, _ := strings.Cut(rest, "</script>")
	var charts []drawnChart
	if err := json.Unmarshal([]byte(spec), &charts); err != nil {
		t.Fatalf("chart specs: %v", err)
	}
	return charts
}
