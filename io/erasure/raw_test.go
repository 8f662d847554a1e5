package erasure

import (
	"testing"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/schemas"
)

// TestLineSubject finds a person's raw lines however the parser reads their
// ids: a numeric user_id, a key in another case, invisible characters
// around the id, an event in a beacon.
func TestLineSubject(t *testing.T) {
	p, err := pseudonym.New([]byte("erasure-test-key"), pseudonym.IPMode("truncate"))
	if err != nil {
		t.Fatal(err)
	}
	person := &subject{request: schemas.ErasureRequest{RequestID: "r1"}, keys: map[string]bool{p.UserKey("12345"): true}, devices: map[string]bool{}}
	device := &subject{request: schemas.ErasureRequest{RequestID: "r2"}, keys: map[string]bool{}, devices: map[string]bool{"d-9": true}}
	subjects, keys := []*subject{person, device}, []*pseudonym.Pseudonymizer{p}
	for _, tt := range []struct{ line, want string }{
		{`{"event_id":"e1","device_id":"d1","user_id":12345}`, "r1"},
		{`{"event_id":"e1","device_id":"d1","user_id":"12345"}`, "r1"},
		{`{"event_id":"e1","device_id":"d1","User_ID":"\u200b12345"}`, "r1"},
		{`{"sent_at":"2026-11-01T10:00:00Z","events":[{"event_id":"e1","device_id":"d1","user_id":12345}]}`, "r1"},
		{`{"event_id":"e1","Device_Id":"d-9"}`, "r2"},
		{`{"event_id":"e1","device_id":" d-9\u200b"}`, "r2"},
		{`{"event_id":"e1","device_id":"d1"}{"event_id":"e2","device_id":"d-9"}`, "r2"}, // not one JSON value: the bytes are searched
		{`{"event_id":"e1","device_id":"d1"} garbage d-9`, "r2"},
		{`{"event_id":"e1","device_id":"d1","user_id":123456}`, ""},
		{`{"event_id":"e1","device_id":"d1","price":12345}`, ""},
	} {
		got, ok := lineSubject([]byte(tt.line), subjects, keys)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("lineSubject(%s) = %q, %v; want %q", tt.line, got, ok, tt.want)
		}
	}
}
