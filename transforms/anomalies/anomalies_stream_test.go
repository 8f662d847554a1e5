package anomalies

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/teststream"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn1x1[schemas.Anomaly, error](&saveFn{})
	register.DoFn2x0[schemas.Anomaly, func(string)](&unexplainedFn{})
	register.Emitter1[string]()
}

// saveFn writes each row to Dir as <anomaly_id>.json, so that the test can
// read the rows back (a repeated row overwrites its file).
type saveFn struct{ Dir string }

func (fn *saveFn) ProcessElement(r schemas.Anomaly) error {
	js, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode row: %w", err)
	}
	return os.WriteFile(filepath.Join(fn.Dir, r.AnomalyID+".json"), js, 0o644)
}

// streamMinutes counts the accepted events of the truth per minute of event
// time in [from, to), in time order, every minute present.
func streamMinutes(t *testing.T, dir string, from, to time.Time) []Minute {
	t.Helper()
	minutes := make([]Minute, int(to.Sub(from)/time.Minute))
	for i := range minutes {
		minutes[i].Start = from.Add(time.Duration(i) * time.Minute).UnixMilli()
	}
	err := groundtruth.Each(dir, func(r groundtruth.Record) error {
		if r.Outcome != "event" || r.EventTime.Before(from) || !r.EventTime.Before(to) {
			return nil
		}
		m := &minutes[r.EventTime.Sub(from)/time.Minute]
		m.Events++
		switch r.Type {
		case "add_to_cart":
			m.AddToCarts++
		case "checkout_start":
			m.CheckoutStarts++
		case "purchase":
			m.Purchases++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return minutes
}

// unexplainedFn passes on the rows whose minute is in none of Windows
// [start, end) (Unix ms pairs).
type unexplainedFn struct{ Windows [][2]int64 }

func (fn *unexplainedFn) ProcessElement(r schemas.Anomaly, emit func(string)) {
	at := r.Minute.UnixMilli()
	for _, w := range fn.Windows {
		if at >= w[0] && at < w[1] {
			return
		}
	}
	emit(fmt.Sprintf("%s %s %s observed %d expected %.1f", r.Minute.Format("15:04"), r.Metric, r.Direction, r.Observed, r.Expected))
}

// TestStream is the statistical power of the rule: the generator's anomaly
// stream (tools/generate --anomaly_stream: about 47 accepted events a
// second, flat from 09:30 to 14:40, a x4 traffic spike at 13:00 and a
// 20-minute checkout outage at 14:10) is counted per minute from its
// truth, judged on Prism in event-time order with the default options, and
// the rows are compared with the windows of truth_anomalies.json:
//   - the spike and the outage each show within 3 minutes of their start
//     (to the end of the first minute with a row);
//   - no row falls outside the minutes they touch: from the spike's start
//     until its visits end (plus the span), from the outage's start until
//     the end of the stream (carts that failed are bought afterwards).
//
// So the normal stretch is the hour before the spike (the first 2 hours
// have no verdict) and the minutes between the spike's visits and the
// outage. The first half hour of the flat window is not judged: visits in
// progress build up then, which is not the steady traffic a baseline should
// learn.
func TestStream(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a million records")
	}
	dir := t.TempDir()
	if err := groundtruth.Generate(dir, "--anomaly_stream"); err != nil {
		t.Fatal(err)
	}
	truth, err := groundtruth.ReadAnomalies(dir)
	if err != nil {
		t.Fatal(err)
	}
	from, to := truth.Flat.Start.Add(30*time.Minute), truth.Flat.End
	minutes := streamMinutes(t, dir, from, to)

	con := teststream.NewConfig()
	for _, m := range minutes {
		if err := con.AddElements(m.Start, m); err != nil {
			t.Fatal(err)
		}
		if err := con.AdvanceWatermark(m.Start + time.Minute.Milliseconds()); err != nil {
			t.Fatal(err)
		}
	}
	if err := con.AdvanceWatermarkToInfinity(); err != nil {
		t.Fatal(err)
	}
	span := DefaultSpan * time.Minute
	windows := [][2]int64{
		{truth.Spike.Start.UnixMilli(), truth.SpikeVisitsEnd.Add(span).UnixMilli()},
		{truth.Outage.Start.UnixMilli(), to.UnixMilli()},
	}
	out := t.TempDir()
	p, s := beam.NewPipelineWithRoot()
	rows := Judge(s, teststream.Create(s, con), Options{})
	beam.ParDo0(s, &saveFn{Dir: out}, rows)
	passert.Empty(s, beam.ParDo(s, &unexplainedFn{Windows: windows}, rows))
	ptest.RunAndValidate(t, p)

	got := readRows(t, out)
	for _, r := range got {
		t.Logf("%s %-22s %-4s observed %6d expected %8.1f band [%d, %d]", r.Minute.Format("15:04"), r.Metric, r.Direction, r.Observed, r.Expected, r.Lower, r.Upper)
	}
	verdicts := time.UnixMilli(minutes[0].Start).Add(DefaultTrailing + (DefaultSpan-1)*time.Minute)
	t.Logf("%d rows; minutes judged %s-%s", len(got), verdicts.Format("15:04"), to.Add(-time.Minute).Format("15:04"))
	for _, c := range []struct {
		name   string
		window *groundtruth.Window
		shows  func(schemas.Anomaly) bool
	}{
		{"spike", truth.Spike, func(r schemas.Anomaly) bool { return r.Metric == MetricEvents && r.Direction == "high" }},
		{"outage", truth.Outage, func(r schemas.Anomaly) bool { return r.Metric == MetricPurchases && r.Direction == "low" }},
	} {
		i := slices.IndexFunc(got, func(r schemas.Anomaly) bool { return !r.Minute.Before(c.window.Start) && c.shows(r) })
		if i < 0 {
			t.Errorf("%s at %s: no row", c.name, c.window.Start.Format("15:04"))
			continue
		}
		delay := got[i].Minute.Add(time.Minute).Sub(c.window.Start)
		t.Logf("%s at %s: first row %s %s, %v after its start", c.name, c.window.Start.Format("15:04"), got[i].Minute.Format("15:04"), got[i].Metric, delay)
		if delay > 3*time.Minute {
			t.Errorf("%s at %s: first row %v after its start, want at most 3m", c.name, c.window.Start.Format("15:04"), delay)
		}
	}
}

// readRows returns the rows saveFn wrote, by minute and metric.
func readRows(t *testing.T, dir string) []schemas.Anomaly {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []schemas.Anomaly
	for _, f := range files {
		js, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r schemas.Anomaly
		if err := json.Unmarshal(js, &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b schemas.Anomaly) int {
		if c := a.Minute.Compare(b.Minute); c != 0 {
			return c
		}
		return cmp.Compare(a.Metric, b.Metric)
	})
	return rows
}
