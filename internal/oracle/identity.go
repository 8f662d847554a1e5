package oracle

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"github.com/example/clickstream/schemas"
)

// loginEventType is the event type dim_devices.login_count counts.
const loginEventType = "login"

// Dims are the identity tables, each sorted by its key.
type Dims struct {
	// DeviceUsers is dim_device_users, sorted by device and valid_from.
	DeviceUsers []schemas.DeviceUser
	// Devices is dim_devices, sorted by device.
	Devices []schemas.Device
	// Users is dim_users, sorted by user key.
	Users []schemas.User
}

// BuildDims derives the bridge and the dimensions from accepted events (the
// rows of fact_events: deduplicated, bots excluded). Each device's events are
// taken in (event_time, event_id) order, as the bridge's model takes them.
//
// A bridge period starts at the first event carrying a user_key that differs
// from the previous user_key seen on the device (or at the device's first
// event carrying one) and ends, exclusive, where the next period starts; the
// last period has no end (valid_to NULL). Anonymous events neither start nor
// end a period: a logout followed by anonymous browsing stays in the
// period of the user who logged out until another user_key appears.
func BuildDims(events []schemas.Event) Dims {
	events = slices.Clone(events)
	slices.SortFunc(events, func(a, b schemas.Event) int {
		return cmp.Or(cmp.Compare(a.DeviceID, b.DeviceID), a.EventTime.Compare(b.EventTime), cmp.Compare(a.EventID, b.EventID))
	})
	var d Dims
	users := map[string]*schemas.User{}
	for i := 0; i < len(events); {
		j := i
		for j < len(events) && events[j].DeviceID == events[i].DeviceID {
			j++
		}
		d.addDevice(events[i:j], users)
		i = j
	}
	for _, u := range users {
		d.Users = append(d.Users, *u)
	}
	slices.SortFunc(d.Users, func(a, b schemas.User) int { return cmp.Compare(a.UserKey, b.UserKey) })
	return d
}

// addDevice adds the rows of one device, whose events are in order.
func (d *Dims) addDevice(events []schemas.Event, users map[string]*schemas.User) {
	first, last := events[0], events[len(events)-1]
	dev := schemas.Device{
		DeviceID:    first.DeviceID,
		FirstSeenAt: first.EventTime,
		LastSeenAt:  last.EventTime,
		DeviceType:  last.DeviceType,
	}
	start := len(d.DeviceUsers)
	for _, e := range events {
		if e.Platform != "" {
			dev.Platform = e.Platform
		}
		if e.EventType == loginEventType {
			dev.LoginCount++
		}
		if e.UserKey == "" {
			continue
		}
		if n := len(d.DeviceUsers); n == start || d.DeviceUsers[n-1].UserKey != e.UserKey {
			if n > start {
				d.DeviceUsers[n-1].ValidTo = e.EventTime
			}
			d.DeviceUsers = append(d.DeviceUsers, schemas.DeviceUser{DeviceID: e.DeviceID, UserKey: e.UserKey, ValidFrom: e.EventTime})
			u, ok := users[e.UserKey]
			if !ok {
				u = &schemas.User{UserKey: e.UserKey, FirstSeenAt: e.EventTime}
				users[e.UserKey] = u
			}
			if !slices.ContainsFunc(d.DeviceUsers[start:n], func(p schemas.DeviceUser) bool { return p.UserKey == e.UserKey }) {
				u.DeviceCount++
			}
		}
		u := users[e.UserKey]
		u.FirstSeenAt = minTime(u.FirstSeenAt, e.EventTime)
		u.LastSeenAt = maxTime(u.LastSeenAt, e.EventTime)
		dev.LastLoginUserKey = e.UserKey
	}
	d.Devices = append(d.Devices, dev)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Resolver resolves sessions to users through the bridge.
type Resolver struct {
	window  time.Duration
	periods map[string][]schemas.DeviceUser // per device, by valid_from
}

// NewResolver returns a Resolver over the bridge periods (dim_device_users
// rows, in any order) with the given stitch window.
func NewResolver(bridge []schemas.DeviceUser, window time.Duration) *Resolver {
	r := &Resolver{window: window, periods: map[string][]schemas.DeviceUser{}}
	for _, p := range bridge {
		r.periods[p.DeviceID] = append(r.periods[p.DeviceID], p)
	}
	for _, ps := range r.periods {
		slices.SortFunc(ps, byStart)
	}
	return r
}

// byStart orders a device's periods by valid_from, then valid_to, the open
// period last: of periods that start at one instant (a zero-length one,
// where two users' events tie), the last is the one that contains it.
func byStart(a, b schemas.DeviceUser) int {
	if c := a.ValidFrom.Compare(b.ValidFrom); c != 0 {
		return c
	}
	switch {
	case a.ValidTo.Equal(b.ValidTo):
		return 0
	case a.ValidTo.IsZero():
		return 1
	case b.ValidTo.IsZero():
		return -1
	}
	return a.ValidTo.Compare(b.ValidTo)
}

// Resolve returns the resolved_user_key of a session on deviceID that
// started at start with user_key userKey ("" when anonymous throughout):
//
//  1. a logged-in session resolves to its own user_key;
//  2. an anonymous session resolves to the user of the device's bridge
//     period that contains start (valid_from <= start < valid_to);
//  3. else, the session started before the device's first period: it
//     resolves to that period's user if the period starts at most the stitch
//     window after start (anonymous browsing before a login);
//  4. else it stays anonymous ("").
func (r *Resolver) Resolve(deviceID, userKey string, start time.Time) string {
	if userKey != "" {
		return userKey
	}
	ps := r.periods[deviceID]
	// i is the first period that starts after the session.
	i := sort.Search(len(ps), func(i int) bool { return ps[i].ValidFrom.After(start) })
	if i > 0 {
		if p := ps[i-1]; p.ValidTo.IsZero() || start.Before(p.ValidTo) {
			return p.UserKey
		}
		return ""
	}
	if len(ps) > 0 && ps[0].ValidFrom.Sub(start) <= r.window {
		return ps[0].UserKey
	}
	return ""
}
