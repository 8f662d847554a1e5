package sqltruth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestColumnsAgainstTruth checks the columns analysts know from GA4 and
// Snowplow against the generator's truth and the raw files: revenue per
// currency, line items, custom properties and session numbers.
func TestColumnsAgainstTruth(t *testing.T) {
	s := shared
	w, err := warehousesql.Open(context.Background(), s.warehouse)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.CreateViews(context.Background(), "../views"); err != nil {
		t.Fatal(err)
	}
	s.readPipelineSessions(t, w)
	t.Run("revenue_by_currency", func(t *testing.T) { s.checkRevenueByCurrency(t, w) })
	t.Run("items_and_properties", func(t *testing.T) { s.checkItemsAndProperties(t, w) })
	t.Run("session_numbers", func(t *testing.T) { s.checkSessionNumbers(t, w) })
}

// checkRevenueByCurrency: each session's purchases and revenue per
// currency, as sent, never summed across currencies.
func (s *sample) checkRevenueByCurrency(t *testing.T, w *warehousesql.Warehouse) {
	want := table{}
	currencies := map[string]bool{}
	for _, ss := range s.sessions {
		for _, e := range ss.events {
			if e.EventType != "purchase" {
				continue
			}
			revenue := 0.0
			if e.Revenue != nil {
				revenue = *e.Revenue
			}
			want.add(s.pipelineSession[ss.id]+"|"+e.Currency, figures{"revenue": revenue, "purchases": 1})
			currencies[e.Currency] = true
		}
	}
	if len(currencies) < 2 {
		t.Fatalf("the sample has purchases in %d currencies; the check needs several", len(currencies))
	}
	res, err := w.Run(context.Background(), `
		SELECT s.session_id, r.currency, r.revenue, r.purchases
		FROM fact_sessions AS s, UNNEST(s.revenue_by_currency) AS r
		WHERE s.session_date BETWEEN @start_date AND @end_date`, s.dates())
	if err != nil {
		t.Fatal(err)
	}
	compare(t, fromResult(t, res, []string{"session_id", "currency"}, []string{"revenue", "purchases"}), want)
	t.Logf("%d session-currency rows, currencies %v", len(want), currencies)

	// revenue is the session's when its purchases are in one currency
	// (named in currency), 0 without purchases, NULL across currencies.
	// NULL reads as -1: no revenue is negative.
	single := table{}
	for _, ss := range s.sessions {
		sent := map[string]float64{}
		for _, e := range ss.events {
			if e.EventType != "purchase" {
				continue
			}
			revenue := 0.0
			if e.Revenue != nil {
				revenue = *e.Revenue
			}
			sent[e.Currency] += revenue
		}
		switch len(sent) {
		case 0:
			single.add(s.pipelineSession[ss.id]+"|<nil>", figures{"revenue": 0})
		case 1:
			for c, r := range sent {
				if c == "" {
					c = "<nil>" // a currency named by no purchase is NULL
				}
				single.add(s.pipelineSession[ss.id]+"|"+c, figures{"revenue": r})
			}
		default:
			single.add(s.pipelineSession[ss.id]+"|<nil>", figures{"revenue": -1})
		}
	}
	res, err = w.Run(context.Background(), `
		SELECT session_id, currency, COALESCE(revenue, -1) AS revenue
		FROM fact_sessions
		WHERE session_date BETWEEN @start_date AND @end_date`, s.dates())
	if err != nil {
		t.Fatal(err)
	}
	compare(t, fromResult(t, res, []string{"session_id", "currency"}, []string{"revenue"}), single)
}

// checkItemsAndProperties: every accepted event has the line items and
// the custom properties it was sent with, and every purchase has items.
func (s *sample) checkItemsAndProperties(t *testing.T, w *warehousesql.Warehouse) {
	res, err := w.Run(context.Background(), `
		SELECT source, source_line, beacon_index, event_type, ARRAY_LENGTH(items) AS items, properties
		FROM fact_events
		WHERE event_date BETWEEN @start_date AND @end_date`, s.dates())
	if err != nil {
		t.Fatal(err)
	}
	type stored struct {
		eventType  string
		items      int64
		properties any
	}
	got := map[string]stored{}
	for _, r := range res.Rows {
		rel, err := filepath.Rel(s.dir, r[0].(string))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := r[4].(int64)
		got[fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), r[1], r[2])] = stored{r[3].(string), n, r[5]}
	}
	bad, purchases, withProperties := 0, 0, 0
	report := func(format string, args ...any) {
		if bad++; bad <= 15 {
			t.Errorf(format, args...)
		}
	}
	for _, ss := range s.sessions {
		for _, e := range ss.events {
			g, ok := got[e.Key()]
			if !ok {
				report("%s: no row in fact_events", e.Key())
				continue
			}
			if g.items != int64(e.ItemCount) {
				report("%s: %d items, sent %d", e.Key(), g.items, e.ItemCount)
			}
			if g.eventType == "purchase" {
				purchases++
				if g.items == 0 {
					report("%s: a purchase without items", e.Key())
				}
			}
			if len(e.Properties) > 0 {
				withProperties++
			}
			if msg := sameJSON(g.properties, e.Properties); msg != "" {
				report("%s: properties %s", e.Key(), msg)
			}
		}
	}
	if purchases == 0 || withProperties == 0 {
		t.Errorf("the sample has %d purchases and %d events with properties; the check needs both", purchases, withProperties)
	}
	t.Logf("%d purchases, %d events with properties, %d differences", purchases, withProperties, bad)
}

// sameJSON compares a stored properties value (NULL or a JSON string) with
// the truth's (absent or an object), and describes a difference.
func sameJSON(stored any, truth json.RawMessage) string {
	if len(truth) == 0 || bytes.Equal(truth, []byte("null")) {
		if stored != nil {
			return fmt.Sprintf("%v, sent none", stored)
		}
		return ""
	}
	text, ok := stored.(string)
	if !ok {
		return fmt.Sprintf("NULL, sent %s", truth)
	}
	var a, b any
	if err := json.Unmarshal([]byte(text), &a); err != nil {
		return fmt.Sprintf("%q is not JSON: %v", text, err)
	}
	if err := json.Unmarshal(truth, &b); err != nil {
		return fmt.Sprintf("truth %s: %v", truth, err)
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s, sent %s", text, truth)
	}
	return ""
}

// checkSessionNumbers: a session's number is its rank among its device's
// sessions, as the truth numbers them (<device_id>#<n>).
func (s *sample) checkSessionNumbers(t *testing.T, w *warehousesql.Warehouse) {
	want := table{}
	for _, ss := range s.sessions {
		_, n, _ := strings.Cut(ss.id[len(ss.device):], "#")
		number, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("truth session %s: %v", ss.id, err)
		}
		want.add(s.pipelineSession[ss.id], figures{"session_number": float64(number), "is_new_device": b2f(number == 1)})
	}
	res, err := w.Run(context.Background(), `
		SELECT session_id, session_number, CASE WHEN is_new_device THEN 1 ELSE 0 END AS is_new_device
		FROM fact_sessions_numbered
		WHERE session_date BETWEEN @start_date AND @end_date`, s.dates())
	if err != nil {
		t.Fatal(err)
	}
	compare(t, fromResult(t, res, []string{"session_id"}, []string{"session_number", "is_new_device"}), want)
}
