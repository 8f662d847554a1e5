package sqltruth_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestCohortRetentionOverWeeks checks the weekly cohorts on a sample of
// several weeks (the shared sample spans two days, so one or two weeks):
// 2026-11-01 is a Sunday, so the first cohort week holds one day, and
// visitors come back over the three weeks after it.
func TestCohortRetentionOverWeeks(t *testing.T) {
	s, err := newSample("weeks", func(dir string) error {
		return groundtruth.Generate(dir, "--seed", "12", "--events", "30000", "--days", "22")
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := warehousesql.Open(context.Background(), s.warehouse)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s.checkCohortRetention(t, w)
	if n := len(s.cohortRetention(t)); n < 8 {
		t.Errorf("%d (cohort, week) rows: the sample should span four weeks", n)
	}
}

// monday is the Monday on or before a YYYY-MM-DD date.
func monday(t *testing.T, date string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t.Fatal(err)
	}
	return d.AddDate(0, 0, -(int(d.Weekday())+6)%7)
}

// cohortRetention puts each device in the week of its first truth session
// and counts, per later week, the devices with a session starting in it.
func (s *sample) cohortRetention(t *testing.T) table {
	firstDate := map[string]string{}
	weeks := map[string]map[time.Time]bool{}
	for _, ss := range s.sessions {
		if d, ok := firstDate[ss.device]; !ok || ss.date < d {
			firstDate[ss.device] = ss.date
		}
		if weeks[ss.device] == nil {
			weeks[ss.device] = map[time.Time]bool{}
		}
		weeks[ss.device][monday(t, ss.date)] = true
	}
	size := map[time.Time]float64{}
	for _, d := range firstDate {
		size[monday(t, d)]++
	}
	want := table{}
	for device, d := range firstDate {
		cohort := monday(t, d)
		for week := range weeks[device] {
			since := int(week.Sub(cohort).Hours() / (24 * 7))
			want.add(fmt.Sprintf("%s|%d", cohort.Format(time.DateOnly), since), figures{"active_visitors": 1})
		}
	}
	for k, f := range want {
		cohort, _ := time.Parse(time.DateOnly, k[:len(time.DateOnly)])
		f["cohort_visitors"] = size[cohort]
		f["retention_rate"] = ratio(f["active_visitors"], size[cohort])
	}
	return want
}

func (s *sample) checkCohortRetention(t *testing.T, w *warehousesql.Warehouse) {
	want := s.cohortRetention(t)
	res := s.run(t, w, "cohort_retention_weekly", s.dates())
	compare(t, fromResult(t, res, []string{"cohort_week", "weeks_since_first_visit"}, []string{"cohort_visitors", "active_visitors", "retention_rate"}), want)
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("cohort|week %s: %v of %v", k, want[k]["active_visitors"], want[k]["cohort_visitors"])
	}
}

// funnelSteps are the closed funnel's event types after the session itself.
var funnelSteps = []string{"product_view", "add_to_cart", "checkout_start", "purchase"}

// checkClosedFunnel: a truth session reaches a step at its earliest event
// of the step's type at or after the time it reached the step before.
func (s *sample) checkClosedFunnel(t *testing.T, w *warehousesql.Warehouse) {
	reached := make([]float64, len(funnelSteps)+1)
	for _, ss := range s.sessions {
		reached[0]++
		var at time.Time
		for i, step := range funnelSteps {
			var first *event
			for _, e := range ss.events {
				if e.EventType == step && !e.EventTime.Before(at) && (first == nil || e.EventTime.Before(first.EventTime)) {
					first = e
				}
			}
			if first == nil {
				break
			}
			at = first.EventTime
			reached[i+1]++
		}
	}
	want := table{}
	for i, n := range reached {
		f := figures{"sessions": n, "drop_off": 0, "drop_off_rate": 0, "rate_from_start": ratio(n, reached[0])}
		if i > 0 {
			f["drop_off"] = reached[i-1] - n
			f["drop_off_rate"] = ratio(reached[i-1]-n, reached[i-1])
		}
		want[strconv.Itoa(i+1)] = f
	}
	t.Logf("sessions reaching each step in order: %v", reached)
	res := s.run(t, w, "closed_funnel", s.dates())
	compare(t, fromResult(t, res, []string{"step"}, []string{"sessions", "drop_off", "drop_off_rate", "rate_from_start"}), want)
}

// checkNextPages follows each truth session's page sequence (uncapped) from
// every visit of the page: the next page and the one after it.
func (s *sample) checkNextPages(t *testing.T, w *warehousesql.Warehouse) {
	for _, page := range []string{"/cart", "/"} {
		t.Run(page, func(t *testing.T) {
			want := table{}
			total := 0.0
			for _, ss := range s.sessions {
				seq := ss.paths(len(ss.events))
				seen := map[string]bool{}
				for i, p := range seq {
					if p != page {
						continue
					}
					next, then := "(exit)", "(none)"
					if i+1 < len(seq) {
						next, then = seq[i+1], "(exit)"
					}
					if i+2 < len(seq) {
						then = seq[i+2]
					}
					key := next + "|" + then
					want.add(key, figures{"transitions": 1, "sessions": b2f(!seen[key])})
					seen[key] = true
					total++
				}
			}
			for _, f := range want {
				f["share_of_transitions"] = ratio(f["transitions"], total)
			}
			p := s.dates()
			p["page_path"] = page
			res := s.run(t, w, "next_pages", p)
			compare(t, fromResult(t, res, []string{"next_page_path", "then_page_path"}, []string{"transitions", "sessions", "share_of_transitions"}), want)
			t.Logf("%s: %v transitions, %d distinct (next, then) pairs", page, total, len(want))
		})
	}
}

// checkNewVsReturning calls a truth session new when it is its device's
// first (the truth's world starts empty, so the device's first session in
// the data is its first ever).
func (s *sample) checkNewVsReturning(t *testing.T, w *warehousesql.Warehouse) {
	first := map[string]*session{}
	for _, ss := range s.sessions {
		if f, ok := first[ss.device]; !ok || ss.start().Before(f.start()) {
			first[ss.device] = ss
		}
	}
	want := table{}
	visitors := map[string]map[string]bool{"new": {}, "returning": {}}
	for _, ss := range s.sessions {
		kind := "returning"
		if first[ss.device] == ss {
			kind = "new"
		}
		visitors[kind][ss.device] = true
		want.add(kind, with(figures{"sessions": 1, "converting_sessions": b2f(ss.count("purchase") > 0)}, ss.revenue()))
	}
	for kind, f := range want {
		f["visitors"] = float64(len(visitors[kind]))
		f["conversion_rate"] = ratio(f["converting_sessions"], f["sessions"])
		for k, v := range f {
			if currency, ok := strings.CutPrefix(k, "revenue "); ok {
				f["revenue_per_session "+currency] = round(v/f["sessions"], 2)
			}
		}
		roundRevenue(f)
		t.Logf("%s: %v sessions of %v visitors, %v converting", kind, f["sessions"], f["visitors"], f["converting_sessions"])
	}
	res := s.run(t, w, "new_vs_returning", s.dates())
	compare(t, fromResult(t, res, []string{"visitor_type"}, []string{"sessions", "visitors", "converting_sessions", "conversion_rate", "revenues", "revenues_per_session"}), want)
}

// TestVisitorAnalysesBeforeDimensionStep runs the analyses that read
// dim_devices on the shared warehouse with the devices first seen after its
// first date hidden from dim_devices, as on dates whose dimension step has
// not run yet (a streaming day, a pending date): those devices' sessions
// still count, with their first session in the range as their first
// visit, so the figures are the truth's.
func TestVisitorAnalysesBeforeDimensionStep(t *testing.T) {
	s := shared
	after := s.first.Format(time.DateOnly)
	w := openAltered(t,
		"CREATE TABLE all_devices AS SELECT * FROM dim_devices",
		fmt.Sprintf("CREATE OR REPLACE VIEW dim_devices AS SELECT * FROM all_devices WHERE CAST(first_seen_at AS DATE) <= DATE '%s'", after))
	var hidden int64
	if err := w.SQL().QueryRowContext(context.Background(), "SELECT (SELECT COUNT(*) FROM all_devices) - (SELECT COUNT(*) FROM dim_devices)").Scan(&hidden); err != nil {
		t.Fatal(err)
	}
	if hidden == 0 {
		t.Fatalf("no device first seen after %s to hide", after)
	}
	t.Logf("%d devices hidden from dim_devices", hidden)
	t.Run("new_vs_returning", func(t *testing.T) { s.checkNewVsReturning(t, w) })
	t.Run("cohort_retention_weekly", func(t *testing.T) { s.checkCohortRetention(t, w) })
}

// TestProductPerformanceWhateverCurrencyEventsName runs product_performance
// on the shared warehouse with the currency dropped from the product views
// and changed on the adds to cart (a feed that prices only its purchases,
// or in another currency): a product is still one row per category, with
// the truth's figures.
func TestProductPerformanceWhateverCurrencyEventsName(t *testing.T) {
	s := shared
	w := openAltered(t,
		"CREATE TABLE all_events AS SELECT * FROM fact_events",
		`CREATE OR REPLACE VIEW fact_events AS SELECT * REPLACE (
			CASE event_type WHEN 'product_view' THEN NULL WHEN 'add_to_cart' THEN 'XTS' ELSE currency END AS currency)
		FROM all_events`)
	var priced int64
	if err := w.SQL().QueryRowContext(context.Background(),
		"SELECT COUNT(*) FROM all_events WHERE event_type IN ('product_view', 'add_to_cart') AND currency IS NOT NULL").Scan(&priced); err != nil {
		t.Fatal(err)
	}
	if priced == 0 {
		t.Fatal("no product view or add to cart names a currency: nothing to change")
	}
	t.Logf("%d product views and adds to cart named a currency", priced)
	s.checkProductPerformance(t, w)
	res := s.run(t, w, "product_performance", s.dates())
	rows := map[string]int{}
	for _, r := range res.Rows {
		rows[fmt.Sprint(r[res.Column("product_id")], "|", r[res.Column("category_id")])]++
	}
	for k, n := range rows {
		if n > 1 {
			t.Errorf("product|category %s is on %d rows", k, n)
		}
	}
}

// openAltered opens the shared warehouse on its own and runs stmts on it,
// which replace a table's view to alter what the analyses read; it is
// closed when the test ends.
func openAltered(t *testing.T, stmts ...string) *warehousesql.Warehouse {
	t.Helper()
	w, err := warehousesql.Open(context.Background(), shared.warehouse)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	for _, stmt := range stmts {
		if _, err := w.SQL().ExecContext(context.Background(), stmt); err != nil {
			t.Fatal(err)
		}
	}
	return w
}
