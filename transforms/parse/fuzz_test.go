package parse

import (
	"testing"
	"unicode/utf8"

	"github.com/example/clickstream/io/files"
	"github.com/example/clickstream/schemas"
)

// FuzzParse checks the parser's contract on arbitrary input: it never
// panics, accounts for exactly the records the reader counted, and every
// outcome is well formed.
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
			if !inBounds(e.EventTime) {
				t.Errorf("event_time %v out of bounds", e.EventTime)
			}
		}, func(d schemas.DeadLetter) {
			n++
			if d.Reason == "" || d.Detail == "" {
				t.Errorf("dead letter without reason: %+v", d)
			}
			if len(d.Payload) > DefaultMaxPayloadBytes || !utf8.ValidString(d.Payload) && utf8.Valid(data) {
				t.Errorf("payload of %d bytes not cut safely", len(d.Payload))
			}
			if d.DeadLetterDate.IsZero() {
				t.Errorf("dead letter without date: %+v", d)
			}
		})
		if want := files.RecordsIn(r); n != want {
			t.Errorf("%d outcomes for %q, the reader counts %d", n, data, want)
		}
	})
}
