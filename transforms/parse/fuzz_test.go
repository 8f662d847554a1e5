package parse

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/example/clickstream/schemas"
)

// maxDetailBytes bounds a dead-letter detail: a field name, a JSON type, a
// length and a short reason, never a value.
const maxDetailBytes = 120

// FuzzParse checks the parser's contract on arbitrary input: it never
// panics, accounts for exactly the records the reader counted, and every
// outcome is well formed: events dated within the event-time bounds with
// every timestamp storable (or zero, i.e. NULL), dead letters with a short
// valid detail and a payload that is valid UTF-8 and cut.
func FuzzParse(f *testing.F) {
	for _, r := range testRecords(f) {
		f.Add(r.Data)
	}
	p := testParser(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := schemas.Record{Source: "fuzz", Line: 1, Data: data, Size: int64(len(data)), Arrived: arrived}
		n := 0
		p.Parse(r, func(e schemas.Event) {
			n++
			if e.EventID == "" || e.DeviceID == "" || e.EventType == "" {
				t.Errorf("event without a required field: %+v", e)
			}
			if !e.EventDate.Equal(schemas.DateOf(e.EventTime)) {
				t.Errorf("event_date %v is not the date of event_time %v", e.EventDate, e.EventTime)
			}
			if !inBounds(e.EventTime) && !inBounds(e.EventTime.Add(MaxClientDelay)) {
				t.Errorf("event_time %v out of bounds", e.EventTime)
			}
			for name, ts := range map[string]time.Time{"created_at": e.CreatedAt, "sent_at": e.SentAt, "received_at": e.ReceivedAt} {
				if !ts.IsZero() && (!ts.After(minStorable) || !ts.Before(maxStorable)) {
					t.Errorf("%s %v is outside BigQuery's range", name, ts)
				}
			}
		}, func(d schemas.DeadLetter) {
			n++
			if d.Reason == "" || d.Detail == "" {
				t.Errorf("dead letter without reason: %+v", d)
			}
			if len(d.Detail) > maxDetailBytes || !utf8.ValidString(d.Detail) {
				t.Errorf("detail %q: %d bytes, valid UTF-8 %t", d.Detail, len(d.Detail), utf8.ValidString(d.Detail))
			}
			if len(d.Payload) > DefaultMaxPayloadBytes || !utf8.ValidString(d.Payload) {
				t.Errorf("payload of %d bytes not cut safely", len(d.Payload))
			}
			if d.DeadLetterDate.IsZero() {
				t.Errorf("dead letter without date: %+v", d)
			}
		})
		if want := r.InputRecords(); n != want {
			t.Errorf("%d outcomes for %q, the reader counts %d", n, data, want)
		}
	})
}
