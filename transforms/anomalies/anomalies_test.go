package anomalies

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(describe)
	register.Function1x1(describeMinute)
}

func TestMain(m *testing.M) { ptest.Main(m) }

var t0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

// describe renders a row as "<metric> <direction> <minute from t0>
// <baseline>".
func describe(r schemas.Anomaly) string {
	return fmt.Sprintf("%s %s %v %s", r.Metric, r.Direction, r.Minute.Sub(t0), r.Baseline)
}

func describeMinute(m Minute) string {
	return fmt.Sprintf("%v %d/%d/%d/%d", time.UnixMilli(m.Start).Sub(t0), m.Events, m.AddToCarts, m.CheckoutStarts, m.Purchases)
}

// TestJudge replays 207 minutes (3 h 27 min) of steady traffic, 60 events,
// 10 add-to-carts, 25 checkouts and 20 purchases a minute, with:
//   - a spike in the first 2 h (minute 30, 600 events): no verdict yet;
//   - a checkout outage at minutes 150-169: purchases 0, checkouts go on;
//   - a traffic spike at minutes 200-204: 600 events a minute;
//   - minute 160 delivered twice (a repeated pane).
//
// With a 3-minute span and a 2-hour trailing baseline, the outage shows from
// its second minute (20 purchases against 60 expected over the span; in its
// first, 40 against 60 is within the band) to the first minute after it (the
// span still holds two empty minutes), in purchases and in purchases per
// checkout; the spike from its first minute until its last minute leaves the
// span. Add-to-carts and checkouts never leave their band.
func TestJudge(t *testing.T) {
	con := teststream.NewConfig()
	for i := range 207 {
		m := Minute{Start: t0.Add(time.Duration(i) * time.Minute).UnixMilli(), Events: 60, AddToCarts: 10, CheckoutStarts: 25, Purchases: 20}
		if i == 30 || i >= 200 && i <= 204 {
			m.Events = 600
		}
		if i >= 150 && i <= 169 {
			m.Purchases = 0
		}
		copies := []any{m}
		if i == 160 {
			copies = append(copies, m)
		}
		if err := con.AddElements(m.Start, copies...); err != nil {
			t.Fatal(err)
		}
		if err := con.AdvanceWatermark(m.Start + time.Minute.Milliseconds()); err != nil {
			t.Fatal(err)
		}
	}
	if err := con.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}
	var want []any
	for i := 151; i <= 170; i++ {
		at := time.Duration(i) * time.Minute
		want = append(want, fmt.Sprintf("purchases low %v trailing", at), fmt.Sprintf("purchases_per_checkout low %v trailing", at))
	}
	for i := 200; i <= 206; i++ {
		want = append(want, fmt.Sprintf("events high %v trailing", time.Duration(i)*time.Minute))
	}

	p, s := beam.NewPipelineWithRoot()
	rows := Judge(s, teststream.Create(s, con), Options{})
	passert.Equals(s, beam.ParDo(s, describe, rows), want...)
	ptest.RunAndValidate(t, p)
}

// TestCount counts events per minute of event time on Prism in streaming
// mode.
func TestCount(t *testing.T) {
	ev := func(typ string, at time.Duration) schemas.Event {
		return schemas.Event{EventID: fmt.Sprint(typ, at), EventType: typ, DeviceID: "d", EventTime: t0.Add(at)}
	}
	con := teststream.NewConfig()
	for _, e := range []schemas.Event{
		ev("page_view", 0), ev("add_to_cart", 10*time.Second), ev("checkout_start", 59*time.Second),
		ev("purchase", time.Minute), ev("search", 3*time.Minute),
	} {
		if err := con.AddElements(e.EventTime.UnixMilli(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := con.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	passert.Equals(s, beam.ParDo(s, describeMinute, Count(s, teststream.Create(s, con))),
		"0s 3/1/1/0", "1m0s 1/0/0/1", "3m0s 1/0/0/0")
	ptest.RunAndValidate(t, p)
}

// TestJudgePreviousDays judges a second day against the first: minutes 0-29
// of two days, 60 events, 25 checkouts and 20 purchases a minute, with
// purchases at 0 in minutes 15-19 of the second day. With a 10-minute
// trailing window the first day is judged on its own trailing rate (and
// passes); the second day's minutes from 2 on are judged against the same
// minutes of the first day, so the outage shows in its minutes 16-20 (in
// minute 15, 40 purchases against 60 expected are within the band). Minutes
// 0 and 1 of the second day span the night, which has no earlier day and
// no traffic: no verdict.
func TestJudgePreviousDays(t *testing.T) {
	con := teststream.NewConfig()
	for day := range 2 {
		for i := range 30 {
			at := t0.Add(time.Duration(day)*24*time.Hour + time.Duration(i)*time.Minute)
			m := Minute{Start: at.UnixMilli(), Events: 60, AddToCarts: 10, CheckoutStarts: 25, Purchases: 20}
			if day == 1 && i >= 15 && i <= 19 {
				m.Purchases = 0
			}
			if err := con.AddElements(m.Start, m); err != nil {
				t.Fatal(err)
			}
			if err := con.AdvanceWatermark(m.Start + time.Minute.Milliseconds()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := con.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}
	var want []any
	for i := 16; i <= 20; i++ {
		at := 24*time.Hour + time.Duration(i)*time.Minute
		want = append(want, fmt.Sprintf("purchases low %v previous_days", at), fmt.Sprintf("purchases_per_checkout low %v previous_days", at))
	}

	p, s := beam.NewPipelineWithRoot()
	rows := Judge(s, teststream.Create(s, con), Options{Trailing: 10 * time.Minute})
	passert.Equals(s, beam.ParDo(s, describe, rows), want...)
	ptest.RunAndValidate(t, p)
}
