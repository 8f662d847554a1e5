//go:build cgo

package dimensions_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// pair is a warehouse maintained incrementally, daily steps only, and one
// that receives the same facts and is rebuilt (--rebuild_dimensions) after
// each.
type pair struct {
	t          *testing.T
	inc, full  *wh
	gens       []*gen
	days       [][]facts // per date, per world
	steps      int
	rewritten  int
	recomputed int64
}

func newPair(t *testing.T, seed uint64, worlds int) *pair {
	setup := newGen(seed, 0, 0)
	window := []time.Duration{time.Hour, 26 * time.Hour, 7 * 24 * time.Hour}[setup.rng.IntN(3)]
	days := 3 + setup.rng.IntN(3)
	p := &pair{t: t, inc: newWarehouse(t, window), full: newWarehouse(t, window), days: make([][]facts, days)}
	for k := range worlds {
		g := newGen(seed*100+uint64(k), window, days)
		p.gens = append(p.gens, g)
		for d, f := range g.draw() {
			p.days[d] = append(p.days[d], f)
		}
	}
	return p
}

// run commits date d's facts to both warehouses, runs a daily step on one
// and a rebuild on the other, and checks they agree with each other and
// with the Go rules.
func (p *pair) run(what string, d int) dimensions.Result {
	p.t.Helper()
	date := day0.AddDate(0, 0, d)
	f := merge(p.days[d])
	p.inc.commit(date, f)
	p.full.commit(date, f)
	res := p.inc.step([]time.Time{date}, false)
	p.full.step(nil, true)
	p.steps++
	p.rewritten += len(res.Rewritten)
	p.recomputed += res.Recomputed
	got := p.inc.snapshot()
	check(p.t, what+": incremental vs rebuild", got, p.full.snapshot(), p.gens)
	check(p.t, what+": incremental vs the Go rules", got, p.inc.oracle(), p.gens)
	return res
}

// redraw gives date d other facts, as a re-run does (perhaps none).
func (p *pair) redraw(d int) {
	all := make([]facts, len(p.days))
	for i := range p.days {
		all[i] = merge(p.days[i])
	}
	for k, g := range p.gens {
		p.days[d][k] = g.redraw(d, all)
	}
}

// Daily steps on randomized worlds, with a re-run of an earlier date that
// brings other facts (logins added and removed in the past), a date held
// back and backfilled out of order, and a re-run of unchanged facts: after
// every step the incrementally maintained dimensions and resolved_user_key
// equal a rebuild from the facts, row for row, and the Go rules.
func TestIncrementalEqualsRebuild(t *testing.T) {
	sequences := 6
	if testing.Short() {
		sequences = 2
	}
	for i := range sequences {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			p := newPair(t, uint64(500+i), 6)
			days := len(p.days)
			held := 1 + i%(days-1) // never the first date: something precedes the backfill
			for d := range days {
				if d != held {
					p.run(fmt.Sprintf("daily %d", d), d)
				}
			}
			rerun := i % held
			p.redraw(rerun)
			p.run(fmt.Sprintf("re-run of %d with other facts", rerun), rerun)
			p.run(fmt.Sprintf("backfill of %d", held), held)

			// The re-run's commit replaced its sessions with their own logins
			// only: its own partition is resolved again, and no other.
			res := p.run(fmt.Sprintf("re-run of %d, unchanged", rerun), rerun)
			if res.Touched != 0 || slices.ContainsFunc(res.Rewritten, func(u dimensions.Updated) bool { return !u.Date.Equal(day0.AddDate(0, 0, rerun)) }) {
				t.Errorf("a re-run of unchanged facts touched %d devices and rewrote %v", res.Touched, res.Rewritten)
			}
			if p.recomputed == 0 || p.rewritten == 0 {
				t.Errorf("the sequence recomputed %d devices and rewrote %d partitions: it tests too little", p.recomputed, p.rewritten)
			}
		})
	}
}

// failing fails Apply, or the model named fail, without storing anything.
type failing struct {
	dimensions.Engine
	fail string
}

var errInjected = errors.New("injected failure")

func (f failing) Materialize(ctx context.Context, name, query string, params models.Params) (int64, error) {
	if name == f.fail {
		return 0, errInjected
	}
	return f.Engine.Materialize(ctx, name, query, params)
}

func (f failing) Apply(ctx context.Context, outputs []dimensions.Output) ([]dimensions.Updated, error) {
	if f.fail == "apply" {
		return nil, errInjected
	}
	return f.Engine.Apply(ctx, outputs)
}

// A date whose step failed stays pending, and the next run's step processes
// it with its own: the result is what a rebuild gives.
func TestFailedStepStaysPending(t *testing.T) {
	for _, fail := range []string{"new_dim_users", "resolved_sessions", "apply"} {
		t.Run(fail, func(t *testing.T) {
			t.Parallel()
			p := newPair(t, 7, 6)
			p.run("daily 0", 0)
			before := p.inc.snapshot()

			date := day0.AddDate(0, 0, 1)
			p.inc.commit(date, merge(p.days[1]))
			_, _, err := p.inc.tryStep([]time.Time{date}, false, func(e dimensions.Engine) dimensions.Engine {
				return failing{e, fail}
			})
			if !errors.Is(err, errInjected) {
				t.Fatalf("step: %v, want the injected failure", err)
			}
			// The facts' commit replaced date 1's sessions; the dimensions
			// must not have moved.
			after := p.inc.snapshot()
			after.Resolved, before.Resolved = nil, nil
			if d := diff(after, before); d != "" {
				t.Errorf("a failed step changed the dimensions:\n%s", d)
			}
			states, err := warehouse.ReadRows[schemas.StateDate](p.inc.dir, "state_dates", nil)
			if err != nil {
				t.Fatal(err)
			}
			if i := slices.IndexFunc(states, func(s schemas.StateDate) bool { return s.EventDate.Equal(date) }); i < 0 || states[i].Status != schemas.StatusPending {
				t.Fatalf("state_dates after the failure: %+v, want %s pending", states, date.Format(time.DateOnly))
			}

			p.full.commit(date, merge(p.days[1]))
			res := p.run("daily 2, with 1 pending", 2)
			if want := []time.Time{date, day0.AddDate(0, 0, 2)}; !slices.Equal(res.Dates, want) {
				t.Errorf("the next step processed %v, want %v", res.Dates, want)
			}
			states, err = warehouse.ReadRows[schemas.StateDate](p.inc.dir, "state_dates", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range states {
				if s.Status != schemas.StatusBuilt {
					t.Errorf("state_dates %s is %s after the next step", s.EventDate.Format(time.DateOnly), s.Status)
				}
			}
		})
	}
}

// The daily case reads the run's date and the dimensions, never a whole
// state table, and fact_sessions only from the stitch window before the
// date.
func TestDailyStepReadsNoHistory(t *testing.T) {
	p := newPair(t, 11, 8)
	for d := range p.days {
		res := p.run(fmt.Sprintf("daily %d", d), d)
		if len(res.Conditional) > 0 {
			t.Errorf("daily step %d read more than its date and the dimensions: %v", d, res.Conditional)
		}
		if res.Recomputed != 0 {
			t.Errorf("daily step %d recomputed %d devices", d, res.Recomputed)
		}
		date := day0.AddDate(0, 0, d)
		if first := schemas.DateOf(date.Add(-p.inc.window)); res.SessionsFrom.Before(first) || res.SessionsTo.After(date) {
			t.Errorf("daily step %d read fact_sessions %v..%v, want within %v..%v", d, res.SessionsFrom, res.SessionsTo, first, date)
		}
	}
	for i, reads := range p.inc.reads {
		for _, r := range reads {
			for table := range r.Tables {
				switch table {
				case "state_device_days", "state_device_user_runs", "state_page_days":
					if r.Model != "old_"+table[len("state_"):] {
						t.Errorf("step %d: %s read %s", i, r.Model, table)
					}
				}
			}
		}
	}
}

// A step with nothing to do, on an empty warehouse or for a date without
// facts, changes nothing and fails nothing.
func TestEmptySteps(t *testing.T) {
	w := newWarehouse(t, time.Hour)
	for _, step := range []struct {
		dates   []time.Time
		rebuild bool
	}{{nil, false}, {nil, true}, {[]time.Time{day0}, false}} {
		res := w.step(step.dates, step.rebuild)
		if res.Touched != 0 || res.Devices != 0 || len(res.Rewritten) != 0 || len(res.Conditional) != 0 {
			t.Errorf("step %+v on an empty warehouse: %+v", step, res)
		}
	}
	if d := diff(w.snapshot(), snapshot{}); d != "" {
		t.Errorf("empty steps left rows:\n%s", d)
	}
}

// recording records the models an engine is given.
type recording struct {
	dimensions.Engine
	names *[]string
}

func (r recording) Materialize(ctx context.Context, name, query string, params models.Params) (int64, error) {
	*r.names = append(*r.names, name)
	return r.Engine.Materialize(ctx, name, query, params)
}

func (r recording) Empty(ctx context.Context, name, query string, params models.Params) error {
	*r.names = append(*r.names, name)
	return r.Engine.Empty(ctx, name, query, params)
}

func (r recording) Query(ctx context.Context, name, query string, params models.Params) ([][]any, error) {
	*r.names = append(*r.names, name)
	return r.Engine.Query(ctx, name, query, params)
}

// A step runs every model of sql/models, once each, in the order
// sql/models/step.json declares (which tools checking the SQL rely on),
// whether it has dates or not.
func TestModelsOrder(t *testing.T) {
	p := newPair(t, 3, 2)
	for _, dates := range [][]time.Time{nil, {day0}} {
		if len(dates) > 0 {
			p.inc.commit(day0, merge(p.days[0]))
		}
		var names []string
		if _, _, err := p.inc.tryStep(dates, false, func(e dimensions.Engine) dimensions.Engine {
			return recording{e, &names}
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names, dimensions.Models()) {
			t.Errorf("step for %v ran %v, want %v", dates, names, dimensions.Models())
		}
	}
}

// A session that starts before midnight takes its user_key from an event
// after it (a login at 00:10), so the user's first session is dated the day
// before its first event. Daily steps must still give the user that first
// touch, as a rebuild does: before, the day's state row was written while
// dim_users had no row for the user, and never read again.
func TestFirstTouchAcrossMidnight(t *testing.T) {
	at := func(d int, hm string) time.Time {
		c, err := time.Parse("15:04", hm)
		if err != nil {
			t.Fatal(err)
		}
		return day0.AddDate(0, 0, d).Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute)
	}
	event := func(id string, t time.Time, user string) schemas.Event {
		return schemas.Event{EventID: id, EventDate: schemas.DateOf(t), EventTime: t, CreatedAt: t, DeviceID: "m",
			UserKey: user, EventType: "page_view", TimeSource: "created_at", DefaultChannelGroup: "Direct", Source: "test", DeviceType: "mobile"}
	}
	session := func(id string, start time.Time, user string, channel string) schemas.Session {
		return schemas.Session{SessionID: id, SessionDate: schemas.DateOf(start), DeviceID: "m", SessionStart: start,
			SessionEnd: start.Add(20 * time.Minute), DeviceType: "mobile", Version: 1, UserKey: user, ResolvedUserKey: user,
			TrafficSource: "google", TrafficMedium: "organic", DefaultChannelGroup: channel}
	}
	p := &pair{t: t, inc: newWarehouse(t, time.Hour), full: newWarehouse(t, time.Hour), gens: []*gen{{window: time.Hour}}, days: [][]facts{
		{{events: []schemas.Event{event("a1", at(0, "23:50"), "")}, sessions: []schemas.Session{session("s1", at(0, "23:50"), "A", "Organic Search")}}},
		{{events: []schemas.Event{event("a2", at(1, "00:10"), "A")}}},
		{{events: []schemas.Event{event("a3", at(2, "12:00"), "A")}, sessions: []schemas.Session{session("s2", at(2, "12:00"), "A", "Direct")}}},
	}}
	for d := range p.days {
		p.run(fmt.Sprintf("daily %d", d), d)
	}
	users := p.inc.snapshot().Users
	if len(users) != 1 || users[0].FirstSessionID != "s1" {
		t.Errorf("dim_users = %+v, want user A with first session s1", users)
	}
}
