package identity

import (
	"sort"
	"time"

	"github.com/example/clickstream/schemas"
)

// DefaultStitchWindow is how long before a device's first login its
// anonymous sessions are attributed to the user who logs in.
const DefaultStitchWindow = 7 * 24 * time.Hour

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
		sort.Slice(ps, func(i, j int) bool { return ps[i].ValidFrom.Before(ps[j].ValidFrom) })
	}
	return r
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
