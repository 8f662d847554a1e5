package sqltruth_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestTrafficAndGeoAgainstTruth compares every accepted event's
// geo_country, traffic_source, traffic_medium, traffic_campaign and
// default_channel_group in fact_events, and every session's in
// fact_sessions (those of its first event), with the generator's truth.
// The warehouse was built with a geolocation database of the generator's
// address ranges (groundtruth.GeoDB): events from other addresses (a
// scripted device's cloud address) have none, in the truth as here.
func TestTrafficAndGeoAgainstTruth(t *testing.T) {
	s := shared
	w, err := warehousesql.Open(context.Background(), s.warehouse)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const cols = "COALESCE(geo_country, ''), traffic_source, traffic_medium, traffic_campaign, default_channel_group"
	events, err := w.Run(context.Background(), `SELECT source, source_line, beacon_index, `+cols+`
		FROM fact_events WHERE event_date BETWEEN @start_date AND @end_date`, s.dates())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range events.Rows {
		rel, err := filepath.Rel(s.dir, r[0].(string))
		if err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), r[1], r[2])] = fmt.Sprint(r[3:]...)
	}
	sessions, err := w.Run(context.Background(), `SELECT session_id, `+cols+`
		FROM fact_sessions WHERE session_date BETWEEN @start_date AND @end_date`, s.dates())
	if err != nil {
		t.Fatal(err)
	}
	gotSession := map[string]string{}
	for _, r := range sessions.Rows {
		gotSession[r[0].(string)] = fmt.Sprint(r[1:]...)
	}

	wrong, wrongSessions, n, located := 0, 0, 0, 0
	channels := map[string]int{}
	for _, ss := range s.sessions {
		for i, e := range ss.events {
			want := fmt.Sprint(e.GeoCountry, e.TrafficSource, e.TrafficMedium, e.TrafficCampaign, e.DefaultChannelGroup)
			n++
			if e.GeoCountry != "" {
				located++
			}
			if got[e.Key()] != want {
				if wrong++; wrong <= 5 {
					t.Errorf("event %s: got %q, want %q", e.Key(), got[e.Key()], want)
				}
			}
			if i > 0 {
				continue
			}
			channels[e.DefaultChannelGroup]++
			if g := gotSession[s.pipelineSessionOf(t, w, ss)]; g != want {
				if wrongSessions++; wrongSessions <= 5 {
					t.Errorf("session %s: got %q, want %q (its first event's)", ss.id, g, want)
				}
			}
		}
	}
	if wrong+wrongSessions > 0 {
		t.Errorf("%d of %d events and %d of %d sessions differ from the truth", wrong, n, wrongSessions, len(s.sessions))
	}
	if len(channels) < 8 {
		t.Errorf("sessions in %d channel groups (%v), want the sample's tagged and referred traffic in at least 8", len(channels), channels)
	}
	if located < n*95/100 {
		t.Errorf("%d of %d events have a country in the truth, want at least 95%%", located, n)
	}
	t.Logf("%d events (%d with a country), %d sessions; sessions by channel group: %v", n, located, len(s.sessions), channels)
}

// pipelineSessionOf is the fact_sessions session_id of a truth session.
func (s *sample) pipelineSessionOf(t *testing.T, w *warehousesql.Warehouse, ss *session) string {
	t.Helper()
	if s.pipelineSession == nil {
		s.readPipelineSessions(t, w)
	}
	return s.pipelineSession[ss.id]
}

// TestReportQueriesAgainstTruth compares the report's traffic queries with
// the truth: sessions and converting sessions per day, hour and channel
// group (report/hourly_sessions.sql), and sessions, converting sessions and
// revenue per country (report/sessions_by_country.sql).
func TestReportQueriesAgainstTruth(t *testing.T) {
	s := shared
	w, err := warehousesql.Open(context.Background(), s.warehouse)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	hourly, countries := table{}, table{}
	for _, ss := range s.sessions {
		f := ss.events[0]
		bought := b2f(ss.count("purchase") > 0)
		key := fmt.Sprintf("%s|%d|%s", ss.date, ss.start().UTC().Hour(), f.DefaultChannelGroup)
		hourly.add(key, figures{"sessions": 1, "converting_sessions": bought})
		country := f.GeoCountry
		if country == "" {
			country = "(not set)"
		}
		countries.add(country, with(figures{"sessions": 1, "converting_sessions": bought}, ss.revenue()))
	}
	res := s.run(t, w, filepath.Join(sqlDir, "report", "hourly_sessions.sql"), s.dates())
	compare(t, fromResult(t, res, []string{"day", "hour", "channel_group"}, []string{"sessions", "converting_sessions"}), hourly)
	res = s.run(t, w, filepath.Join(sqlDir, "report", "sessions_by_country.sql"), s.dates())
	compare(t, fromResult(t, res, []string{"country"}, []string{"sessions", "converting_sessions", "revenues"}), countries)
}
