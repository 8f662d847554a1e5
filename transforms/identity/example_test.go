package identity_test

import (
	"fmt"
	"time"

	"github.com/example/clickstream/transforms/identity"
)

// A device browses anonymously on 1 November and its user logs in on
// 3 November: the anonymous session resolves to that user.
func Example() {
	t := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
	dims := identity.BuildDims([]identity.Event{
		{EventID: "e1", EventType: "page_view", EventTime: t(1, 10), DeviceID: "d1", DeviceType: "desktop"},
		{EventID: "e2", EventType: "login", EventTime: t(3, 11), DeviceID: "d1", UserKey: "k1", DeviceType: "desktop"},
	})
	r := identity.NewResolver(dims.DeviceUsers, identity.DefaultStitchWindow)
	fmt.Println(r.Resolve("d1", "", t(1, 10)))
	fmt.Println(r.Resolve("d1", "", t(1, 10).Add(-identity.DefaultStitchWindow)) == "")
	// Output:
	// k1
	// true
}
