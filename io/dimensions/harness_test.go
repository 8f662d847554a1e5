//go:build cgo

package dimensions_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/internal/oracle"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

// The Go rules of internal/oracle (BuildDims, Resolver, Pages, with the
// page-type rules of transforms/enrich) are what the SQL models are checked
// against; the warehouse package writes the facts, as a run's commit would.

var day0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// facts are the fact rows of one event date.
type facts struct {
	events   []schemas.Event
	sessions []schemas.Session
}

// wh is a local warehouse that a test commits facts to and runs steps on.
type wh struct {
	t      *testing.T
	dir    string
	runs   int
	window time.Duration
	types  *enrich.PageTypes
	// reads are the rows each step's models read, by step.
	reads [][]duck.Read
}

func newWarehouse(t *testing.T, window time.Duration) *wh {
	return &wh{t: t, dir: filepath.Join(t.TempDir(), "warehouse"), window: window, types: enrich.DefaultPageTypes()}
}

func (w *wh) runID(what string) string {
	w.runs++
	return fmt.Sprintf("%s-%03d", what, w.runs)
}

// commit replaces the fact partitions of date with f (an empty f empties
// them) and marks the date pending, as a run's commit does.
func (w *wh) commit(date time.Time, f facts) {
	w.t.Helper()
	run := w.runID("facts")
	if err := warehouse.Stage(w.dir, run, "fact_events", f.events); err != nil {
		w.t.Fatal(err)
	}
	if err := warehouse.Stage(w.dir, run, "fact_sessions", f.sessions); err != nil {
		w.t.Fatal(err)
	}
	if err := warehouse.Stage(w.dir, run, "state_dates", dimensions.Pending(run, []time.Time{date})); err != nil {
		w.t.Fatal(err)
	}
	owned := []time.Time{date}
	if _, err := warehouse.CommitScope(w.dir, run, warehouse.Scope{"fact_events": owned, "fact_sessions": owned, "state_dates": owned}); err != nil {
		w.t.Fatal(err)
	}
}

// step runs a dimension step for dates on the DuckDB engine.
func (w *wh) step(dates []time.Time, rebuild bool) dimensions.Result {
	w.t.Helper()
	res, reads, err := w.tryStep(dates, rebuild, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.reads = append(w.reads, reads)
	return res
}

// tryStep runs a step; wrap, when set, wraps the engine.
func (w *wh) tryStep(dates []time.Time, rebuild bool, wrap func(dimensions.Engine) dimensions.Engine) (dimensions.Result, []duck.Read, error) {
	ctx := context.Background()
	run := w.runID("dims")
	e, err := duck.NewEngine(ctx, w.dir, run)
	if err != nil {
		return dimensions.Result{}, nil, err
	}
	defer func() {
		if err := e.Close(); err != nil {
			w.t.Error(err)
		}
	}()
	var engine dimensions.Engine = e
	if wrap != nil {
		engine = wrap(e)
	}
	res, err := dimensions.Run(ctx, engine, dimensions.Options{
		RunID: run, Dates: dates, Rebuild: rebuild, StitchWindow: w.window, PageTypes: w.types.Rules(),
	})
	if err != nil {
		if rerr := warehouse.Recover(w.dir); rerr != nil {
			w.t.Fatal(rerr)
		}
	}
	return res, e.Reads(), err
}

// snapshot is what a test compares: the dimensions and every session's
// resolved_user_key, each sorted.
type snapshot struct {
	DeviceUsers []schemas.DeviceUser
	Devices     []schemas.Device
	Users       []schemas.User
	Pages       []schemas.Page
	Resolved    []resolved
}

type resolved struct {
	SessionID, ResolvedUserKey string
}

func (w *wh) snapshot() snapshot {
	w.t.Helper()
	var s snapshot
	var err error
	read := func(f func() error) {
		if err == nil {
			err = f()
		}
	}
	read(func() (e error) {
		s.DeviceUsers, e = warehouse.ReadRows[schemas.DeviceUser](w.dir, "dim_device_users", nil)
		return
	})
	read(func() (e error) { s.Devices, e = warehouse.ReadRows[schemas.Device](w.dir, "dim_devices", nil); return })
	read(func() (e error) { s.Users, e = warehouse.ReadRows[schemas.User](w.dir, "dim_users", nil); return })
	read(func() (e error) { s.Pages, e = warehouse.ReadRows[schemas.Page](w.dir, "dim_pages", nil); return })
	var sessions []schemas.Session
	read(func() (e error) {
		sessions, e = warehouse.ReadRows[schemas.Session](w.dir, "fact_sessions", nil)
		return
	})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, x := range sessions {
		s.Resolved = append(s.Resolved, resolved{x.SessionID, x.ResolvedUserKey})
	}
	return s.sorted()
}

// events and sessions are every committed fact row.
func (w *wh) facts() ([]schemas.Event, []schemas.Session) {
	w.t.Helper()
	events, err := warehouse.ReadRows[schemas.Event](w.dir, "fact_events", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	sessions, err := warehouse.ReadRows[schemas.Session](w.dir, "fact_sessions", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return events, sessions
}

// oracle is what the Go rules give for the warehouse's committed facts.
func (w *wh) oracle() snapshot {
	w.t.Helper()
	events, sessions := w.facts()
	dims := oracle.BuildDims(events)
	oracle.UserTotals(dims.Users, events, sessions)
	s := snapshot{DeviceUsers: dims.DeviceUsers, Devices: dims.Devices, Users: dims.Users, Pages: oracle.Pages(events, w.types)}
	r := oracle.NewResolver(dims.DeviceUsers, w.window)
	for _, x := range sessions {
		s.Resolved = append(s.Resolved, resolved{x.SessionID, r.Resolve(x.DeviceID, x.UserKey, x.SessionStart)})
	}
	return s.sorted()
}

func (s snapshot) sorted() snapshot {
	slices.SortFunc(s.DeviceUsers, func(a, b schemas.DeviceUser) int {
		return cmp.Or(cmp.Compare(a.DeviceID, b.DeviceID), a.ValidFrom.Compare(b.ValidFrom), a.ValidTo.Compare(b.ValidTo), cmp.Compare(a.UserKey, b.UserKey))
	})
	slices.SortFunc(s.Devices, func(a, b schemas.Device) int { return cmp.Compare(a.DeviceID, b.DeviceID) })
	slices.SortFunc(s.Users, func(a, b schemas.User) int { return cmp.Compare(a.UserKey, b.UserKey) })
	slices.SortFunc(s.Pages, func(a, b schemas.Page) int { return cmp.Compare(a.PageKey, b.PageKey) })
	slices.SortFunc(s.Resolved, func(a, b resolved) int { return cmp.Compare(a.SessionID, b.SessionID) })
	for i := range s.DeviceUsers {
		s.DeviceUsers[i].ValidFrom = s.DeviceUsers[i].ValidFrom.UTC()
		s.DeviceUsers[i].ValidTo = s.DeviceUsers[i].ValidTo.UTC()
	}
	for i := range s.Devices {
		s.Devices[i].FirstSeenAt, s.Devices[i].LastSeenAt = s.Devices[i].FirstSeenAt.UTC(), s.Devices[i].LastSeenAt.UTC()
	}
	for i := range s.Users {
		u := &s.Users[i]
		u.FirstSeenAt, u.LastSeenAt, u.FirstSessionAt = u.FirstSeenAt.UTC(), u.LastSeenAt.UTC(), u.FirstSessionAt.UTC()
		u.FirstPurchaseAt, u.LastPurchaseAt = u.FirstPurchaseAt.UTC(), u.LastPurchaseAt.UTC()
		if len(u.RevenueByCurrency) == 0 {
			u.RevenueByCurrency = nil
		}
	}
	return s
}

// world is the part of s that belongs to the world whose ids start with
// prefix (pages are shared by all).
func (s snapshot) world(prefix string) snapshot {
	var w snapshot
	for _, r := range s.DeviceUsers {
		if strings.HasPrefix(r.DeviceID, prefix) {
			w.DeviceUsers = append(w.DeviceUsers, r)
		}
	}
	for _, r := range s.Devices {
		if strings.HasPrefix(r.DeviceID, prefix) {
			w.Devices = append(w.Devices, r)
		}
	}
	for _, r := range s.Users {
		if strings.HasPrefix(r.UserKey, prefix) {
			w.Users = append(w.Users, r)
		}
	}
	for _, r := range s.Resolved {
		if strings.HasPrefix(r.SessionID, prefix) {
			w.Resolved = append(w.Resolved, r)
		}
	}
	return w
}

// merge is the facts of several worlds for one date.
func merge(worlds []facts) facts {
	var f facts
	for _, w := range worlds {
		f.events = append(f.events, w.events...)
		f.sessions = append(f.sessions, w.sessions...)
	}
	return f
}

// check fails the test when got differs from want, naming the worlds (of
// gens) that differ.
func check(t *testing.T, what string, got, want snapshot, gens []*gen) {
	t.Helper()
	if diff(got, want) == "" {
		return
	}
	for _, g := range gens {
		if d := diff(got.world(g.prefix), want.world(g.prefix)); d != "" {
			t.Fatalf("%s: world %s (window %v) differs:\n%s", what, g.prefix, g.window, d)
		}
	}
	t.Fatalf("%s: pages differ:\n%s", what, diff(snapshot{Pages: got.Pages}, snapshot{Pages: want.Pages}))
}

// diff describes how got differs from want, or returns "".
func diff(got, want snapshot) string {
	var b strings.Builder
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i), wv.Field(i)
		if g.Len() == 0 && w.Len() == 0 {
			continue
		}
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			fmt.Fprintf(&b, "%s:\n  got  %+v\n  want %+v\n", name, g.Interface(), w.Interface())
		}
	}
	return b.String()
}

// gen draws fact rows with the cases the rules are sensitive to: ties in
// time, several users per device, logins exactly at the stitch-window edge,
// sessions across midnight, anonymous-only devices and empty dates. Its ids
// start with its prefix, so that several worlds share a warehouse without
// sharing devices, users or sessions.
type gen struct {
	rng     *rand.Rand
	prefix  string
	window  time.Duration
	days    int
	devices []string
	users   []string
	n       int
}

var pagePool = []struct{ host, path string }{
	{"shop.example.com", "/"}, {"shop.example.com", ""}, {"shop.example.com", "/p/sku-1"},
	{"shop.example.com", "/checkout"}, {"shop.example.com", "/checkout/confirmation"},
	{"shop.example.com", "/c/shoes"}, {"shop.example.com", "/search"}, {"app", "/cart"}, {"", "/x"},
}

// newGen returns the generator of world seed, for a warehouse whose steps
// use window and span days dates.
func newGen(seed uint64, window time.Duration, days int) *gen {
	rng := rand.New(rand.NewPCG(seed, 7))
	g := &gen{rng: rng, prefix: fmt.Sprintf("w%d-", seed), window: window, days: days}
	for i := range 1 + rng.IntN(6) {
		g.devices = append(g.devices, fmt.Sprintf("%sd%d", g.prefix, i))
	}
	for i := range 1 + rng.IntN(3) {
		g.users = append(g.users, fmt.Sprintf("%su%c", g.prefix, 'A'+i))
	}
	return g
}

// at draws a time on day d, often at one of a few instants so that events
// tie.
func (g *gen) at(d int) time.Time {
	base := day0.AddDate(0, 0, d)
	switch g.rng.IntN(4) {
	case 0:
		return base.Add([]time.Duration{0, time.Microsecond, 10 * time.Hour, 24*time.Hour - time.Microsecond}[g.rng.IntN(4)])
	case 1:
		return base.Add(time.Duration(g.rng.IntN(4)) * 6 * time.Hour)
	}
	return base.Add(time.Duration(g.rng.Int64N(int64(24*time.Hour/time.Microsecond))) * time.Microsecond)
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// day draws the events of day d.
func (g *gen) day(d int) []schemas.Event {
	var events []schemas.Event
	if g.rng.IntN(6) == 0 {
		return nil // an empty date
	}
	for _, dev := range g.devices {
		if g.rng.IntN(3) == 0 {
			continue
		}
		anonymous := g.rng.IntN(4) == 0
		ids := map[string]bool{}
		for range g.rng.IntN(6) {
			e := schemas.Event{EventDate: day0.AddDate(0, 0, d), EventTime: g.at(d), DeviceID: dev,
				EventType: "page_view", TimeSource: "created_at", DefaultChannelGroup: "Direct", Source: "gen",
				DeviceType: g.pick([]string{"desktop", "mobile"})}
			e.CreatedAt = e.EventTime
			// Short ids from a small alphabet: events at one instant order by
			// them, upper case before lower case.
			for e.EventID == "" || ids[e.EventID] {
				e.EventID = string([]byte{"aBb"[g.rng.IntN(3)], "0Zz"[g.rng.IntN(3)], byte('0' + g.rng.IntN(10))})
			}
			ids[e.EventID] = true
			if !anonymous && g.rng.IntN(2) == 0 {
				e.UserKey = g.pick(g.users)
			}
			switch g.rng.IntN(10) {
			case 0, 1:
				e.EventType = "login"
			case 2:
				// Revenue in quarters adds up exactly in any order.
				e.EventType, e.Currency = "purchase", g.pick([]string{"EUR", "USD", ""})
				if g.rng.IntN(4) > 0 {
					r := float64(g.rng.IntN(400)) / 4
					e.Revenue = &r
				}
			}
			if g.rng.IntN(3) > 0 {
				e.Platform = g.pick([]string{"web", "ios"})
			}
			if g.rng.IntN(4) > 0 {
				p := pagePool[g.rng.IntN(len(pagePool))]
				e.PageHost, e.PagePath, e.PageKey = p.host, p.path, enrich.PageKey(p.host, p.path)
			}
			events = append(events, e)
		}
	}
	return events
}

// draw returns the facts of every day: events first, so that sessions can
// be drawn at the stitch-window edges of logins on any day.
func (g *gen) draw() []facts {
	days := make([]facts, g.days)
	var keyed []schemas.Event
	for d := range days {
		days[d].events = g.day(d)
		for _, e := range days[d].events {
			if e.UserKey != "" {
				keyed = append(keyed, e)
			}
		}
	}
	for d := range days {
		days[d].sessions = g.sessions(d, keyed, days[d].events)
	}
	return days
}

// redraw draws day d again, as a re-run that brings other facts for it.
func (g *gen) redraw(d int, all []facts) facts {
	f := facts{events: g.day(d)}
	var keyed []schemas.Event
	for _, day := range all {
		for _, e := range day.events {
			if e.UserKey != "" {
				keyed = append(keyed, e)
			}
		}
	}
	f.sessions = g.sessions(d, keyed, f.events)
	return f
}

// sessions draws sessions of day d on the devices, many of them anonymous
// and starting at the edges of a login in keyed (the events of every date
// that carry a user_key): at it, just before it, and exactly at or just
// beyond the stitch window before it, often the device's first login; some
// cross midnight. A session's user_key is one that day's events (today)
// carry, as a session's user_key is that of its events.
func (g *gen) sessions(d int, keyed, today []schemas.Event) []schemas.Session {
	first := map[string]schemas.Event{}
	for _, k := range keyed {
		if f, ok := first[k.DeviceID]; !ok || k.EventTime.Before(f.EventTime) {
			first[k.DeviceID] = k
		}
	}
	date := day0.AddDate(0, 0, d)
	var users []string
	for _, e := range today {
		if e.UserKey != "" {
			users = append(users, e.UserKey)
		}
	}
	var out []schemas.Session
	for range g.rng.IntN(3 * len(g.devices)) {
		dev, start := g.pick(g.devices), g.at(d)
		if len(keyed) > 0 && g.rng.IntN(3) > 0 {
			anchor := keyed[g.rng.IntN(len(keyed))]
			if f, ok := first[anchor.DeviceID]; ok && g.rng.IntN(2) == 0 {
				anchor = f
			}
			edge := anchor.EventTime.Add([]time.Duration{0, -g.window, -g.window - time.Microsecond, -time.Microsecond, time.Microsecond}[g.rng.IntN(5)])
			if schemas.DateOf(edge).Equal(date) {
				dev, start = anchor.DeviceID, edge
			}
		}
		g.n++
		s := schemas.Session{SessionID: fmt.Sprintf("%ss%05d", g.prefix, g.n), SessionDate: date, DeviceID: dev,
			SessionStart: start, SessionEnd: start.Add(time.Hour), DeviceType: "desktop", Version: 1}
		s.TrafficSource, s.TrafficMedium, s.DefaultChannelGroup = g.pick([]string{"google", "(direct)", "news"}),
			g.pick([]string{"organic", "(none)", "email"}), g.pick([]string{"Organic Search", "Direct", "Email"})
		if len(users) > 0 && g.rng.IntN(3) == 0 {
			s.UserKey = g.pick(users)
		}
		s.ResolvedUserKey = s.UserKey
		out = append(out, s)
	}
	return out
}
