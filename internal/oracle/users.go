package oracle

import (
	"cmp"
	"slices"

	"github.com/example/clickstream/schemas"
)

// purchaseEventType is the event type dim_users.order_count counts.
const purchaseEventType = "purchase"

// UserTotals sets the first-touch and purchase columns of users (dim_users
// rows, as BuildDims gives them), in place, from every committed fact:
//   - first touch: the user's first session whose user_key is the user's
//     (session_start, then session_id), with its traffic source, medium and
//     default channel group; none without one;
//   - purchases: the purchase events whose user_key is the user's, their
//     first and last event_time, their count, and their revenue (an absent
//     revenue adds 0) and count per currency, ordered by currency (none
//     first).
func UserTotals(users []schemas.User, events []schemas.Event, sessions []schemas.Session) {
	byKey := map[string]*schemas.User{}
	for i := range users {
		byKey[users[i].UserKey] = &users[i]
	}
	for _, s := range sessions {
		u := byKey[s.UserKey]
		if u == nil {
			continue
		}
		if u.FirstSessionID == "" || cmp.Or(s.SessionStart.Compare(u.FirstSessionAt), cmp.Compare(s.SessionID, u.FirstSessionID)) < 0 {
			u.FirstSessionID, u.FirstSessionAt = s.SessionID, s.SessionStart
			u.FirstTrafficSource, u.FirstTrafficMedium = s.TrafficSource, s.TrafficMedium
			u.FirstDefaultChannelGroup = s.DefaultChannelGroup
		}
	}
	for _, e := range events {
		u := byKey[e.UserKey]
		if u == nil || e.EventType != purchaseEventType {
			continue
		}
		if u.OrderCount == 0 || e.EventTime.Before(u.FirstPurchaseAt) {
			u.FirstPurchaseAt = e.EventTime
		}
		if u.OrderCount == 0 || e.EventTime.After(u.LastPurchaseAt) {
			u.LastPurchaseAt = e.EventTime
		}
		u.OrderCount++
		i := slices.IndexFunc(u.RevenueByCurrency, func(c schemas.CurrencyRevenue) bool { return c.Currency == e.Currency })
		if i < 0 {
			u.RevenueByCurrency = append(u.RevenueByCurrency, schemas.CurrencyRevenue{Currency: e.Currency})
			i = len(u.RevenueByCurrency) - 1
		}
		if e.Revenue != nil {
			u.RevenueByCurrency[i].Revenue += *e.Revenue
		}
		u.RevenueByCurrency[i].Purchases++
	}
	for _, u := range byKey {
		slices.SortFunc(u.RevenueByCurrency, func(a, b schemas.CurrencyRevenue) int { return cmp.Compare(a.Currency, b.Currency) })
	}
}
