package sessionize_test

import (
	"fmt"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/sessionize"
)

func ExampleBatch() {
	start := time.Date(2026, 11, 1, 23, 50, 0, 0, time.UTC)
	event := func(id, eventType, path string, after time.Duration) schemas.Event {
		return schemas.Event{
			EventID: id, EventType: eventType, DeviceID: "d-1", PagePath: path,
			EventTime: start.Add(after), DefaultChannelGroup: "Direct", DeviceType: "mobile",
		}
	}
	events := []schemas.Event{
		event("e1", "page_view", "/", 0),
		event("e2", "product_view", "/p/42", 5*time.Minute),
		event("e3", "add_to_cart", "/p/42", 25*time.Minute), // after midnight: same session
		event("e4", "page_view", "/", 55*time.Minute),       // 30 min later: a new session
	}
	for _, s := range sessionize.Batch(events, sessionize.Options{}) {
		fmt.Println(s.SessionDate.Format(time.DateOnly), s.SessionStart.Format(time.TimeOnly), s.EventCount,
			s.PagePathSequence, "bounce:", s.IsBounce, "engaged:", s.IsEngaged)
	}
	fmt.Println(events[2].SessionID == events[0].SessionID, events[3].SessionID == events[2].SessionID)
	// Output:
	// 2026-11-01 23:50:00 3 [/ /p/42] bounce: false engaged: true
	// 2026-11-02 00:45:00 1 [/] bounce: true engaged: false
	// true false
}
