package identity

import (
	"cmp"
	"slices"
	"time"

	"github.com/example/clickstream/schemas"
)

// Event is what identity reads of a fact_events row: the columns the bridge
// and the dimensions are built from.
type Event struct {
	EventID    string    `parquet:"event_id"`
	EventType  string    `parquet:"event_type"`
	EventTime  time.Time `parquet:"event_time,timestamp(microsecond)"`
	DeviceID   string    `parquet:"device_id"`
	UserKey    string    `parquet:"user_key,optional"`
	Platform   string    `parquet:"platform,optional"`
	DeviceType string    `parquet:"device_type"`
}

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
// taken in the sessions' order, (event_time, event_id); events is sorted in
// place.
//
// A bridge period starts at the first event carrying a user_key that differs
// from the previous user_key seen on the device (or at the device's first
// event carrying one) and ends, exclusive, where the next period starts; the
// last period has no end (valid_to NULL). Anonymous events neither start nor
// end a period: a logout followed by anonymous browsing stays in the
// period of the user who logged out until another user_key appears.
func BuildDims(events []Event) Dims {
	slices.SortFunc(events, func(a, b Event) int {
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
func (d *Dims) addDevice(events []Event, users map[string]*schemas.User) {
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
