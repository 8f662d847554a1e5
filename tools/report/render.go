package main

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/example/clickstream/tools/query/warehousesql"
)

// chartJS is Chart.js's UMD build, vendored from the npm registry (see
// assets/README.md): the report embeds it so that it opens offline.
//
//go:embed assets/chart.umd.min.js
var chartJS string

// drawJS draws the charts the page's JSON describes.
//
//go:embed draw.js
var drawJS string

//go:embed page.html.tmpl
var pageText string

var page = template.Must(template.New("page").Funcs(template.FuncMap{"thousands": thousands}).Parse(pageText))

// topLandingPages is how many landing pages the report shows.
const topLandingPages = 15

// topCountries is how many countries the report's chart shows.
const topCountries = 15

// geoAttribution is the credit DB-IP's licence (CC BY 4.0) asks of pages
// that show results of its database.
const geoAttribution = "Countries from the IP address of the session's first event (--geo_db; " +
	"make run uses IP Geolocation by DB-IP, https://db-ip.com, CC BY 4.0). (not set): no database, or an address it does not know."

// chart is one canvas of the page and what draw.js draws on it.
type chart struct {
	ID         string    `json:"id"` // the canvas is #chart-<ID>, apart from the sections' ids
	Title      string    `json:"title"`
	Type       string    `json:"type"` // bar or line
	Horizontal bool      `json:"horizontal"`
	Stacked    bool      `json:"stacked"`
	Percent    bool      `json:"percent"` // values are shares, drawn as percentages
	Labels     []string  `json:"labels"`
	Datasets   []dataset `json:"datasets"`
	Height     int       `json:"-"` // of the canvas's box, in pixels
}

type dataset struct {
	Label string     `json:"label"`
	Data  []*float64 `json:"data"` // nil is no value (a gap in a line)
}

// table is a query's result as the page prints it.
type table struct {
	Columns []string
	Numeric []bool // right-aligned columns
	Rows    [][]string
}

// section is one panel of the page.
type section struct {
	ID, Title, Caption string
	Charts             []chart
	Notice             string // in place of charts that have nothing to show
	Tables             []table
}

// pageData is what page.html.tmpl renders.
type pageData struct {
	Run      runInfo
	Started  string
	Duration string
	Sections []section
	Charts   template.JS // the charts, as JSON
	ChartJS  template.JS
	DrawJS   template.JS
}

// render writes the report's page.
func render(w io.Writer, r *report) error {
	sections, err := sections(r)
	if err != nil {
		return err
	}
	var charts []chart
	for _, s := range sections {
		charts = append(charts, s.Charts...)
	}
	// json.Marshal escapes <, > and &, so no value can end the script
	// element that holds it.
	data, err := json.Marshal(charts)
	if err != nil {
		return err
	}
	return page.Execute(w, pageData{
		Run:      r.Run,
		Started:  r.Run.Started.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration: r.Run.Finished.Sub(r.Run.Started).Round(100 * time.Millisecond).String(),
		Sections: sections,
		Charts:   template.JS(data), //nolint:gosec // JSON from json.Marshal, HTML-escaped
		ChartJS:  template.JS(chartJS),
		DrawJS:   template.JS(drawJS),
	})
}

// sections lays out the page: where the records went, the funnel, the
// traffic per hour, the landing pages, the countries and the verdict.
func sections(r *report) ([]section, error) {
	records, err := recordsSection(r)
	if err != nil {
		return nil, err
	}
	out := []section{records}
	noDates := "The run owns no event dates: no sessions to show."
	funnel := section{ID: "funnel", Title: "Funnel",
		Caption: "Sessions that viewed a product, added to cart, started checkout and purchased, per day the run owns " +
			"(sql/daily_funnel.sql; steps count sessions with such an event, in any order)."}
	hourly := section{ID: "hourly", Title: "Sessions and conversion per hour by channel group",
		Caption: "Per UTC hour of the session's start, by GA4 default channel group of the session's first event " +
			"(sql/report/hourly_sessions.sql)."}
	landing := section{ID: "landing", Title: "Top landing pages",
		Caption: fmt.Sprintf("The %d landing pages with the most sessions (sql/landing_pages.sql).", topLandingPages)}
	geo := section{ID: "geo", Title: "Sessions by country",
		Caption: geoAttribution + " (sql/report/sessions_by_country.sql)."}
	if !r.Run.ownsDates() {
		funnel.Notice, hourly.Notice, landing.Notice, geo.Notice = noDates, noDates, noDates, noDates
	} else {
		if funnel.Charts, err = funnelCharts(r.Funnel); err != nil {
			return nil, fmt.Errorf("%s: %w", queryFunnel, err)
		}
		funnel.Tables = []table{tableOf(r.Funnel, 0)}
		if hourly.Charts, err = hourlyCharts(r.Hourly); err != nil {
			return nil, fmt.Errorf("%s: %w", queryHourly, err)
		}
		if landing.Charts, err = landingCharts(r.Landing); err != nil {
			return nil, fmt.Errorf("%s: %w", queryLanding, err)
		}
		landing.Tables = []table{tableOf(r.Landing, topLandingPages)}
		if geo.Charts, err = countryCharts(r.Countries); err != nil {
			return nil, fmt.Errorf("%s: %w", queryCountries, err)
		}
		geo.Tables = []table{tableOf(r.Countries, 0)}
	}
	for _, s := range []*section{&funnel, &hourly, &landing, &geo} {
		if len(s.Charts) == 0 && s.Notice == "" {
			s.Notice = "No sessions on the dates the run owns."
		}
	}
	verdict := section{ID: "reconciliation", Title: "Reconciliation",
		Caption: "The run reconciles when its input records equal the sum of their outcomes and every partition it wrote, " +
			"read back after the commit, holds the rows it counted (sql/report/run_partitions.sql). Rows the warehouse " +
			"derives, such as dimensions and sessions resolved anew, have no count: derived_rows.",
		Tables: []table{tableOf(r.Partitions, 0)}}
	return append(out, funnel, hourly, landing, geo, verdict), nil
}

// recordsSection is where the run's input records went.
func recordsSection(r *report) (section, error) {
	s := section{ID: "records", Title: "Where every input record went",
		Caption: "Each input record ends in exactly one outcome: a fact_events row, a duplicate (a retried copy), " +
			"a bot (by rule), a dead letter (by reason), out of range (a date the run does not own), unwritable " +
			"or erased (an erased person's or device's event, dropped at parse time) " +
			"(sql/report/run.sql, sql/report/run_outcomes.sql: the run's own account)."}
	run := r.Run
	s.Charts = []chart{{
		ID: "outcomes", Title: fmt.Sprintf("%s input records by outcome", thousands(run.InputRecords)),
		Type: "bar", Horizontal: true, Height: 260,
		Labels: []string{"events", "duplicates", "bots", "dead_letter", "out_of_range", "unwritable", "erased"},
		Datasets: []dataset{{Label: "records", Data: numbers(run.Events, run.Duplicates, run.Bots,
			run.DeadLetter, run.OutOfRange, run.Unwritable, run.Erased)}},
	}}
	details := chart{ID: "outcome_details", Title: "Bots by rule, dead letters by reason", Type: "bar", Horizontal: true}
	c := &cells{res: r.Outcomes}
	var records []*float64
	for _, row := range r.Outcomes.Rows {
		c.row = row
		outcome, detail := get[string](c, "outcome"), get[string](c, "detail")
		if detail == "" || (outcome != "bots" && outcome != "dead_letter") {
			continue
		}
		details.Labels = append(details.Labels, outcome+": "+detail)
		records = append(records, number(get[int64](c, "records")))
	}
	if c.err != nil {
		return s, fmt.Errorf("%s: %w", queryOutcomes, c.err)
	}
	if len(records) > 0 {
		details.Datasets = []dataset{{Label: "records", Data: records}}
		details.Height = 60 + 22*len(records)
		s.Charts = append(s.Charts, details)
	} else {
		s.Notice = "No bots and no dead letters in this run."
	}
	s.Tables = []table{tableOf(r.Outcomes, 0)}
	return s, nil
}

// funnelSteps are daily_funnel's columns in the funnel's order.
var funnelSteps = []struct{ column, label string }{
	{"sessions", "sessions"},
	{"product_view_sessions", "viewed a product"},
	{"add_to_cart_sessions", "added to cart"},
	{"checkout_sessions", "started checkout"},
	{"converting_sessions", "purchased"},
}

// funnelCharts is the funnel, one dataset per day.
func funnelCharts(res *warehousesql.Result) ([]chart, error) {
	if len(res.Rows) == 0 {
		return nil, nil
	}
	ch := chart{ID: "funnel", Title: "Sessions reaching each step", Type: "bar", Horizontal: true, Height: 120 + 40*len(res.Rows)}
	for _, s := range funnelSteps {
		ch.Labels = append(ch.Labels, s.label)
	}
	c := &cells{res: res}
	for _, row := range res.Rows {
		c.row = row
		d := dataset{Label: get[time.Time](c, "day").Format(time.DateOnly)}
		for _, s := range funnelSteps {
			d.Data = append(d.Data, number(get[int64](c, s.column)))
		}
		ch.Datasets = append(ch.Datasets, d)
	}
	return []chart{ch}, c.err
}

// hourlyCharts are sessions (stacked by channel group) and conversion rate
// per hour of each day in the result.
func hourlyCharts(res *warehousesql.Result) ([]chart, error) {
	if len(res.Rows) == 0 {
		return nil, nil
	}
	type point struct {
		day, group string
		hour       int64
		sessions   int64
		rate       float64
	}
	c := &cells{res: res}
	var points []point
	var days []string
	total := map[string]int64{} // sessions by group, to order the groups
	for _, row := range res.Rows {
		c.row = row
		p := point{day: get[time.Time](c, "day").Format(time.DateOnly), group: get[string](c, "channel_group"),
			hour: get[int64](c, "hour"), sessions: get[int64](c, "sessions"), rate: get[float64](c, "conversion_rate")}
		if p.hour < 0 || p.hour > 23 {
			c.fail(fmt.Errorf("hour %d", p.hour))
			continue
		}
		points = append(points, p)
		if !slices.Contains(days, p.day) {
			days = append(days, p.day)
		}
		total[p.group] += p.sessions
	}
	if c.err != nil {
		return nil, c.err
	}
	slices.Sort(days)
	groups := make([]string, 0, len(total))
	for group := range total {
		groups = append(groups, group)
	}
	slices.SortFunc(groups, func(a, b string) int {
		return cmp.Or(cmp.Compare(total[b], total[a]), strings.Compare(a, b))
	})
	var labels []string
	for _, d := range days {
		for h := range 24 {
			if len(days) == 1 {
				labels = append(labels, fmt.Sprintf("%02d:00", h))
			} else {
				labels = append(labels, fmt.Sprintf("%s %02d:00", d[5:], h))
			}
		}
	}
	sessions := chart{ID: "hourly_sessions", Title: "Sessions per hour", Type: "bar", Stacked: true, Height: 320, Labels: labels}
	conversion := chart{ID: "hourly_conversion", Title: "Conversion rate per hour", Type: "line", Percent: true, Height: 320, Labels: labels}
	for _, group := range groups {
		s := dataset{Label: group, Data: make([]*float64, len(labels))}
		r := dataset{Label: group, Data: make([]*float64, len(labels))}
		for i := range s.Data {
			s.Data[i] = number(0)
		}
		for _, p := range points {
			if p.group != group {
				continue
			}
			i := slices.Index(days, p.day)*24 + int(p.hour)
			s.Data[i], r.Data[i] = number(p.sessions), &p.rate
		}
		sessions.Datasets = append(sessions.Datasets, s)
		conversion.Datasets = append(conversion.Datasets, r)
	}
	return []chart{sessions, conversion}, nil
}

// landingCharts are sessions by landing page, the topLandingPages with the
// most.
func landingCharts(res *warehousesql.Result) ([]chart, error) {
	return sessionsBy(res, "landing_pages", "Sessions by landing page", "landing_page_path", topLandingPages)
}

// countryCharts are sessions by country, the topCountries with the most.
func countryCharts(res *warehousesql.Result) ([]chart, error) {
	return sessionsBy(res, "countries", "Sessions by country", "country", topCountries)
}

// sessionsBy is a horizontal bar chart of the sessions column of the first
// limit rows, labelled by the label column; none when there are no rows.
func sessionsBy(res *warehousesql.Result, id, title, label string, limit int) ([]chart, error) {
	rows := res.Rows[:min(len(res.Rows), limit)]
	if len(rows) == 0 {
		return nil, nil
	}
	ch := chart{ID: id, Title: title, Type: "bar", Horizontal: true, Height: 80 + 24*len(rows)}
	d := dataset{Label: "sessions"}
	c := &cells{res: res}
	for _, row := range rows {
		c.row = row
		ch.Labels = append(ch.Labels, get[string](c, label))
		d.Data = append(d.Data, number(get[int64](c, "sessions")))
	}
	ch.Datasets = []dataset{d}
	return []chart{ch}, c.err
}

func number(n int64) *float64 {
	f := float64(n)
	return &f
}

func numbers(ns ...int64) []*float64 {
	out := make([]*float64, len(ns))
	for i, n := range ns {
		out[i] = number(n)
	}
	return out
}

// tableOf prints a result's first limit rows (all for 0): integers with
// thousands separators, rates and shares as percentages.
func tableOf(res *warehousesql.Result, limit int) table {
	t := table{Columns: res.Columns, Numeric: make([]bool, len(res.Columns))}
	rows := res.Rows
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, v := range row {
			switch v.(type) {
			case int64, float64:
				t.Numeric[i] = true
			}
			cells[i] = cellText(v, res.Columns[i], res.Types[i])
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

func cellText(v any, column, typ string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case int64:
		return thousands(v)
	case float64:
		if strings.HasSuffix(column, "_rate") || column == "share" {
			return strconv.FormatFloat(100*v, 'f', 2, 64) + "%"
		}
		whole, frac, _ := strings.Cut(strconv.FormatFloat(v, 'f', 2, 64), ".")
		return groupDigits(whole) + "." + frac
	case time.Time:
		if typ == "DATE" {
			return v.Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = cellText(e, column, "")
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// thousands is n with a comma every three digits.
func thousands(n int64) string { return groupDigits(strconv.FormatInt(n, 10)) }

// groupDigits puts a comma every three digits into an integer's digits
// (with an optional sign).
func groupDigits(s string) string {
	sign, digits := "", s
	if strings.HasPrefix(s, "-") {
		sign, digits = "-", s[1:]
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}
