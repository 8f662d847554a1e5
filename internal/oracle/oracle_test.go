package oracle

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const day = 24 * time.Hour

// stitchWindow is the README's default --stitch_window.
const stitchWindow = 7 * day

func ev(device, user string, at time.Time, typ string) schemas.Event {
	return schemas.Event{EventID: device + at.Format(time.RFC3339Nano), EventType: typ, EventTime: at, DeviceID: device,
		UserKey: user, Platform: "web", DeviceType: "desktop"}
}

// A shared device: A logs in, logs out, B browses anonymously and logs in,
// then A again. Each period maps to the right user, anonymous events do not
// end a period, and the last period is open.
func TestBridgeSharedDevice(t *testing.T) {
	events := []schemas.Event{
		ev("d1", "", at(0), "page_view"),
		ev("d1", "A", at(time.Hour), "login"),
		ev("d1", "A", at(2*time.Hour), "page_view"),
		ev("d1", "", at(3*time.Hour), "page_view"), // after A's logout
		ev("d1", "B", at(4*time.Hour), "login"),
		ev("d1", "A", at(day), "login"),
		ev("d1", "A", at(day+time.Hour), "purchase"),
		ev("d2", "A", at(2*day), "login"),
		ev("d3", "", at(0), "page_view"),
	}
	// Input order must not matter.
	slices.Reverse(events)
	got := BuildDims(events)
	wantBridge := []schemas.DeviceUser{
		{DeviceID: "d1", UserKey: "A", ValidFrom: at(time.Hour), ValidTo: at(4 * time.Hour)},
		{DeviceID: "d1", UserKey: "B", ValidFrom: at(4 * time.Hour), ValidTo: at(day)},
		{DeviceID: "d1", UserKey: "A", ValidFrom: at(day)},
		{DeviceID: "d2", UserKey: "A", ValidFrom: at(2 * day)},
	}
	if !reflect.DeepEqual(got.DeviceUsers, wantBridge) {
		t.Errorf("bridge\n%+v\nwant\n%+v", got.DeviceUsers, wantBridge)
	}
	wantDevices := []schemas.Device{
		{DeviceID: "d1", FirstSeenAt: at(0), LastSeenAt: at(day + time.Hour), Platform: "web", DeviceType: "desktop", LastLoginUserKey: "A", LoginCount: 3},
		{DeviceID: "d2", FirstSeenAt: at(2 * day), LastSeenAt: at(2 * day), Platform: "web", DeviceType: "desktop", LastLoginUserKey: "A", LoginCount: 1},
		{DeviceID: "d3", FirstSeenAt: at(0), LastSeenAt: at(0), Platform: "web", DeviceType: "desktop"},
	}
	if !reflect.DeepEqual(got.Devices, wantDevices) {
		t.Errorf("devices\n%+v\nwant\n%+v", got.Devices, wantDevices)
	}
	wantUsers := []schemas.User{
		{UserKey: "A", FirstSeenAt: at(time.Hour), LastSeenAt: at(2 * day), DeviceCount: 2},
		{UserKey: "B", FirstSeenAt: at(4 * time.Hour), LastSeenAt: at(4 * time.Hour), DeviceCount: 1},
	}
	if !reflect.DeepEqual(got.Users, wantUsers) {
		t.Errorf("users\n%+v\nwant\n%+v", got.Users, wantUsers)
	}

	r := NewResolver(got.DeviceUsers, stitchWindow)
	for _, tt := range []struct {
		name  string
		start time.Time
		want  string
	}{
		{"before the first login, same day", at(0), "A"},
		{"in A's first period, after the logout", at(3 * time.Hour), "A"},
		{"at the start of B's period", at(4 * time.Hour), "B"},
		{"in B's period", at(20 * time.Hour), "B"},
		{"at the end of B's period (exclusive)", at(day), "A"},
		{"in the open last period, much later", at(30 * day), "A"},
	} {
		if got := r.Resolve("d1", "", tt.start); got != tt.want {
			t.Errorf("%s: resolved %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The stitching rule's edges.
func TestResolve(t *testing.T) {
	login := at(8 * day)
	bridge := []schemas.DeviceUser{
		{DeviceID: "d1", UserKey: "U", ValidFrom: login, ValidTo: at(10 * day)},
		{DeviceID: "d1", UserKey: "V", ValidFrom: at(10 * day)},
		// Two users' events tie at 12 days: X's period has zero length and,
		// listed last here, must not hide Y's.
		{DeviceID: "d3", UserKey: "Y", ValidFrom: at(12 * day)},
		{DeviceID: "d3", UserKey: "X", ValidFrom: at(12 * day), ValidTo: at(12 * day)},
	}
	r := NewResolver(bridge, 7*day)
	for _, tt := range []struct {
		name         string
		device, user string
		start        time.Time
		want         string
	}{
		{"anonymous 6 days before the login", "d1", "", login.Add(-6 * day), "U"},
		{"anonymous exactly 7 days before", "d1", "", login.Add(-7 * day), "U"},
		{"anonymous 8 days before the login", "d1", "", login.Add(-8 * day), ""},
		{"anonymous inside U's period", "d1", "", login.Add(time.Hour), "U"},
		{"anonymous inside V's period", "d1", "", at(11 * day), "V"},
		{"logged in keeps its own key", "d1", "W", login.Add(-8 * day), "W"},
		{"logged in inside another user's period", "d1", "W", login.Add(time.Hour), "W"},
		{"device with no login", "d2", "", login, ""},
		{"anonymous at a tie of two logins", "d3", "", at(12 * day), "Y"},
		{"anonymous after a tie of two logins", "d3", "", at(13 * day), "Y"},
	} {
		if got := r.Resolve(tt.device, tt.user, tt.start); got != tt.want {
			t.Errorf("%s: resolved %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Pages: one row per distinct page, typed by the rules, sorted by key.
func TestPages(t *testing.T) {
	page := func(host, path string) schemas.Event {
		return schemas.Event{PageKey: enrich.PageKey(host, path), PageHost: host, PagePath: path}
	}
	events := []schemas.Event{
		page("shop.example.com", "/p/sku-1"), page("shop.example.com", "/p/sku-1"),
		page("shop.example.com", "/"), page("shop", "/checkout/confirmation"), page("shop", ""), {},
	}
	rows := Pages(events, enrich.DefaultPageTypes())
	want := map[string]string{"/p/sku-1": enrich.PageProduct, "/": enrich.PageHome, "/checkout/confirmation": enrich.PageConfirmation, "": enrich.PageHome}
	if len(rows) != len(want) {
		t.Fatalf("got %d pages, want %d distinct: %+v", len(rows), len(want), rows)
	}
	for i, r := range rows {
		if r.PageType != want[r.Path] || r.PageKey != enrich.PageKey(r.Host, r.Path) {
			t.Errorf("page %+v: want type %s and key %s", r, want[r.Path], enrich.PageKey(r.Host, r.Path))
		}
		if i > 0 && rows[i-1].PageKey >= r.PageKey {
			t.Error("pages not sorted by key")
		}
	}
}

// UserTotals: first touch is the earliest session by the user's own
// user_key (ties by session_id), whatever the order of the facts; purchases
// count per currency, an absent revenue adding 0; anonymous purchases and
// other users' sessions do not count.
func TestUserTotals(t *testing.T) {
	money := func(v float64) *float64 { return &v }
	buy := func(user string, at time.Time, currency string, revenue *float64) schemas.Event {
		e := ev("d1", user, at, "purchase")
		e.Currency, e.Revenue = currency, revenue
		return e
	}
	session := func(id, user string, start time.Time, source string) schemas.Session {
		return schemas.Session{SessionID: id, UserKey: user, SessionStart: start, TrafficSource: source,
			TrafficMedium: source + "-m", DefaultChannelGroup: source + "-g"}
	}
	users := []schemas.User{{UserKey: "A"}, {UserKey: "B"}}
	events := []schemas.Event{
		buy("A", at(2*time.Hour), "USD", money(2.5)),
		buy("A", at(time.Hour), "EUR", money(10)),
		buy("A", at(3*time.Hour), "USD", nil),
		buy("A", at(4*time.Hour), "", money(1)),
		buy("", at(5*time.Hour), "USD", money(100)),
		ev("d1", "B", at(0), "page_view"),
	}
	sessions := []schemas.Session{
		session("s3", "A", at(day), "late"),
		session("s2", "A", at(0), "tie-second"),
		session("s1", "A", at(0), "first"),
		session("s0", "", at(-day), "anonymous"),
		session("s9", "B", at(-time.Hour), "b"),
	}
	UserTotals(users, events, sessions)
	want := []schemas.User{
		{UserKey: "A", FirstSessionID: "s1", FirstSessionAt: at(0), FirstTrafficSource: "first",
			FirstTrafficMedium: "first-m", FirstDefaultChannelGroup: "first-g",
			FirstPurchaseAt: at(time.Hour), LastPurchaseAt: at(4 * time.Hour), OrderCount: 4,
			RevenueByCurrency: []schemas.CurrencyRevenue{
				{Currency: "", Revenue: 1, Purchases: 1}, {Currency: "EUR", Revenue: 10, Purchases: 1},
				{Currency: "USD", Revenue: 2.5, Purchases: 2}}},
		{UserKey: "B", FirstSessionID: "s9", FirstSessionAt: at(-time.Hour), FirstTrafficSource: "b",
			FirstTrafficMedium: "b-m", FirstDefaultChannelGroup: "b-g"},
	}
	if !reflect.DeepEqual(users, want) {
		t.Fatalf("got  %+v\nwant %+v", users, want)
	}
}
