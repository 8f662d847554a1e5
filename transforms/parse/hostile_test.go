package parse

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/example/clickstream/schemas"
)

// Secrets planted in hostile records: no dead-letter string may keep them.
const (
	plantedIP   = "203.0.113.9"
	plantedUser = "alice@example.com"
)

// parseOne parses one file record and returns its outcomes.
func parseOne(t *testing.T, data string, attrs map[string]string) ([]schemas.Event, []schemas.DeadLetter) {
	t.Helper()
	r := schemas.Record{Source: "hostile.jsonl", Line: 1, Data: []byte(data), Size: int64(len(data)), Arrived: arrived, Attributes: attrs}
	if attrs != nil {
		r.Source, r.Line, r.AckID = "pubsub:s", 0, "ack"
	}
	var events []schemas.Event
	var dead []schemas.DeadLetter
	testParser(t).Parse(r, func(e schemas.Event) { events = append(events, e) },
		func(d schemas.DeadLetter) { dead = append(dead, d) })
	return events, dead
}

func oneDeadLetter(t *testing.T, data string, attrs map[string]string) schemas.DeadLetter {
	t.Helper()
	events, dead := parseOne(t, data, attrs)
	if len(events) != 0 || len(dead) != 1 {
		t.Fatalf("%d events, %d dead letters; want one dead letter", len(events), len(dead))
	}
	return dead[0]
}

func oneEvent(t *testing.T, data string) schemas.Event {
	t.Helper()
	events, dead := parseOne(t, data, nil)
	if len(events) != 1 || len(dead) != 0 {
		t.Fatalf("%d events, %d dead letters (%+v); want one event", len(events), len(dead), dead)
	}
	return events[0]
}

// noSecrets fails when a dead letter's strings keep a planted IP or user id.
func noSecrets(t *testing.T, d schemas.DeadLetter) {
	t.Helper()
	for name, s := range map[string]string{"detail": d.Detail, "payload": d.Payload, "attributes": d.Attributes} {
		if strings.Contains(s, plantedIP) || strings.Contains(s, "alice") {
			t.Errorf("%s keeps a planted IP or user id: %s", name, s)
		}
	}
}

const validPrefix = `{"event_id":"e1","event_type":"page_view","device_id":"d1","created_at":"2026-11-01T10:00:00Z"`

// TestDetailNamesFieldNotValue: a timestamp field holding an object or a
// string is described by its name, JSON type and length, never echoed (the
// review found the raw IP and user id of an object, a 200 KB detail and
// invalid UTF-8 in it).
func TestDetailNamesFieldNotValue(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{
			name: "PII in an object",
			data: validPrefix + `,"sent_at":{"ip":"203.0.113.9","user_id":"alice@example.com"}}`,
			want: "sent_at: JSON object of 50 bytes, not a timestamp",
		},
		{
			name: "200 KB string",
			data: validPrefix + `,"sent_at":"` + strings.Repeat("x", 200<<10) + `"}`,
			want: "sent_at: JSON string of 204802 bytes, not an RFC 3339 timestamp",
		},
		{
			name: "invalid UTF-8",
			data: validPrefix + ",\"received_at\":{\"a\":\"\xff\xfe\"}}",
			want: "received_at: JSON object of 10 bytes, not a timestamp",
		},
		{
			name: "string with the user id",
			data: `{"event_id":"e1","event_type":"page_view","device_id":"d1","created_at":"alice@example.com"}`,
			want: "created_at: JSON string of 19 bytes, not an RFC 3339 timestamp",
		},
		{
			name: "wrong type: the number is not echoed",
			data: validPrefix + `,"quantity":203.0113}`,
			want: "quantity: got JSON number of 8 bytes, want int64",
		},
		{
			name: "bad JSON: the offending character is not echoed",
			data: "{\"event_id\":\xff}",
			want: "invalid JSON at byte 13",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := oneDeadLetter(t, tt.data, nil)
			if d.Detail != tt.want {
				t.Errorf("detail = %.200q, want %q", d.Detail, tt.want)
			}
			if !utf8.ValidString(d.Detail) || !utf8.ValidString(d.Payload) {
				t.Errorf("invalid UTF-8: detail %q, payload %.100q", d.Detail, d.Payload)
			}
			if strings.Contains(d.Detail, plantedIP) || strings.Contains(d.Detail, "alice") {
				t.Errorf("detail %q keeps a planted IP or user id", d.Detail)
			}
		})
	}
}

// TestPayloadScrubGaps: the payloads the review found to keep a raw user
// id or IP.
func TestPayloadScrubGaps(t *testing.T) {
	records := []string{
		validPrefix + `,"sent_at":{"ip":"203.0.113.9","user_id":"alice@example.com"}}`,
		`{"user_id": alice}`,
		`{"user\u005fid":"alice",}`,
		`{'user_id': 'alice'}`,
		`{"event_type":"page_view","device_id":"d1","created_at":"2026-11-01T10:00:00Z",` +
			`"client_ip":"203.0.113.9","x_forwarded_for":"203.0.113.9","page_url":"https://203.0.113.9/p"}`,
		`{"event_type":"page_view","device_id":"d1","created_at":"2026-11-01T10:00:00Z",` +
			`"client_ip":"203.0.113.9","x_forwarded_for":"203.0.113.9","page_url":"https://203.0.113.9/p"`,
	}
	for _, data := range records {
		noSecrets(t, oneDeadLetter(t, data, nil))
	}
}

// TestAttributesScrubbed: Pub/Sub attributes go through the payload's
// scrub, not verbatim into dead_letter.attributes.
func TestAttributesScrubbed(t *testing.T) {
	d := oneDeadLetter(t, "{not json", map[string]string{
		"x-forwarded-for": plantedIP, "user_id": plantedUser, "event_time": "2026-11-01T10:00:00Z",
	})
	noSecrets(t, d)
	if !strings.Contains(d.Attributes, `"event_time":"2026-11-01T10:00:00Z"`) || !strings.Contains(d.Attributes, "203.0.113.0") {
		t.Errorf("attributes %s lost what is not an identifier", d.Attributes)
	}
}

// TestUserIDTrimmedEverywhere: fact_events and the dead-letter payload give
// one person one key, however the id is padded.
func TestUserIDTrimmedEverywhere(t *testing.T) {
	e := oneEvent(t, validPrefix+`,"user_id":"alice"}`)
	d := oneDeadLetter(t, `{"event_id":"e2","device_id":"d1","created_at":"2026-11-01T10:00:00Z","user_id":"  alice "}`, nil)
	if !strings.Contains(d.Payload, `"user_id":"user_key:`+e.UserKey+`"`) {
		t.Errorf("payload %s does not carry the event's user key %s", d.Payload, e.UserKey)
	}
	if padded := oneEvent(t, validPrefix+`,"user_id":" alice\t"}`); padded.UserKey != e.UserKey {
		t.Errorf("padded user id gives key %s, want %s", padded.UserKey, e.UserKey)
	}
}

// TestAbsurdDeviceClocks: created_at and sent_at beyond what any table can
// hold never reach a row. With a usable received_at the event is dated by it
// and the absurd clock is stored as NULL (the zero time); without one it is
// dead-lettered as absurd_timestamp.
func TestAbsurdDeviceClocks(t *testing.T) {
	received := time.Date(2026, 11, 1, 10, 0, 2, 0, time.UTC)
	created := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	const base = `{"event_id":"e1","event_type":"page_view","device_id":"d1"`
	tests := []struct {
		name                string
		fields              string
		wantCreated         time.Time
		wantSent            time.Time
		wantSource          string
		wantDead, wantMatch string
	}{
		{name: "created_at 1e300 ms", fields: `,"created_at":1e300,"received_at":"2026-11-01T10:00:02Z"`,
			wantSource: TimeReceivedAt},
		{name: "created_at year -244000", fields: `,"created_at":-99999999999999999,"sent_at":"2026-11-01T10:00:01Z","received_at":"2026-11-01T10:00:02Z"`,
			wantSent: received.Add(-time.Second), wantSource: TimeReceivedAt},
		{name: "sent_at year -244000", fields: `,"created_at":"2026-11-01T10:00:00Z","sent_at":-99999999999999999,"received_at":"2026-11-01T10:00:02Z"`,
			wantCreated: created, wantSource: TimeReceivedAt},
		{name: "sent_at 1e400 ms", fields: `,"created_at":"2026-11-01T10:00:00Z","sent_at":1e400,"received_at":"2026-11-01T10:00:02Z"`,
			wantCreated: created, wantSource: TimeReceivedAt},
		{name: "created_at in year 0", fields: `,"created_at":"0000-06-01T00:00:00Z","received_at":"2026-11-01T10:00:02Z"`,
			wantSource: TimeReceivedAt},
		{name: "created_at in year 10000 once in UTC", fields: `,"created_at":"9999-12-31T23:00:00-05:00","received_at":"2026-11-01T10:00:02Z"`,
			wantSource: TimeReceivedAt},
		{name: "created_at at the last storable millisecond", fields: `,"created_at":253402300799999,"received_at":"2026-11-01T10:00:02Z"`,
			wantCreated: time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC), wantSource: TimeReceivedAt},
		{name: "created_at 1e300 ms alone", fields: `,"created_at":1e300`,
			wantDead: schemas.ReasonAbsurdTimestamp, wantMatch: "created_at: JSON number of 5 bytes"},
		{name: "received_at 1e300 ms", fields: `,"created_at":"2026-11-01T10:00:00Z","received_at":1e300`,
			wantDead: schemas.ReasonAbsurdTimestamp, wantMatch: "received_at: JSON number of 5 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base + tt.fields + "}"
			if tt.wantDead != "" {
				d := oneDeadLetter(t, data, nil)
				if d.Reason != tt.wantDead || !strings.HasPrefix(d.Detail, tt.wantMatch) {
					t.Errorf("dead letter %s %q, want %s %q...", d.Reason, d.Detail, tt.wantDead, tt.wantMatch)
				}
				return
			}
			e := oneEvent(t, data)
			if !e.CreatedAt.Equal(tt.wantCreated) || !e.SentAt.Equal(tt.wantSent) || e.TimeSource != tt.wantSource ||
				!e.EventTime.Equal(received) {
				t.Errorf("created_at %v, sent_at %v, time %v (%s); want %v, %v, %v (%s)",
					e.CreatedAt, e.SentAt, e.EventTime, e.TimeSource, tt.wantCreated, tt.wantSent, received, tt.wantSource)
			}
		})
	}
}

func TestRawTimeParse(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr error
	}{
		{in: `1793534395000`, want: time.Date(2026, 11, 1, 11, 59, 55, 0, time.UTC)},
		{in: `"2026-11-01T11:00:00+01:00"`, want: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{in: `"9999-12-31T23:59:59.999999Z"`, want: time.Date(9999, 12, 31, 23, 59, 59, 999999e3, time.UTC)},
		{in: `-62135596799999`, want: time.Date(1, 1, 1, 0, 0, 0, 1e6, time.UTC)},
		{in: `1e300`, wantErr: errOutOfRange},
		{in: `-1e300`, wantErr: errOutOfRange},
		{in: `1e400`, wantErr: errOutOfRange},
		{in: `-99999999999999999`, wantErr: errOutOfRange},
		{in: `253402300800000`, wantErr: errOutOfRange}, // 10000-01-01
		{in: `-62135596800000`, wantErr: errOutOfRange}, // 0001-01-01T00:00:00Z, the zero time
		{in: `"0001-01-01T00:00:00Z"`, wantErr: errOutOfRange},
		{in: `"0000-01-01T00:00:00Z"`, wantErr: errOutOfRange},
		// RFC 3339 section 5.6: "t" and "z" may be lower case, and a
		// space may separate date and time.
		{in: `"2026-11-01t10:00:00.5z"`, want: time.Date(2026, 11, 1, 10, 0, 0, 5e8, time.UTC)},
		{in: `"2026-11-01 11:00:00+01:00"`, want: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		// ISO 8601's offset without a colon (strftime's %z, Java's "Z").
		{in: `"2026-11-01T11:00:00+0100"`, want: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{in: `"2026-11-01 03:00:00.250-0700"`, want: time.Date(2026, 11, 1, 10, 0, 0, 25e7, time.UTC)},
		{in: `"2026-11-01T10:00:00+0000"`, want: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{in: `"2026-11-01T10:00:00+00"`, wantErr: errNotRFC3339},
		{in: `"2026-11-01T10:00:00+01x0"`, wantErr: errNotRFC3339},
		{in: `"2026-11-01T10:00:00.1234"`, wantErr: errNotRFC3339},
		{in: `"2026-11-01 11:00:00"`, wantErr: errNotRFC3339}, // no offset: no instant
		{in: `"2026-11-01x10:00:00Z"`, wantErr: errNotRFC3339},
		{in: `"2026-11-01"`, wantErr: errNotRFC3339},
		{in: `"yesterday"`, wantErr: errNotRFC3339},
		{in: `{"a":1}`, wantErr: errNotTimestamp},
		{in: `[1]`, wantErr: errNotTimestamp},
		{in: `true`, wantErr: errNotTimestamp},
		{in: `""`, wantErr: errNoTime},
		{in: `"   "`, wantErr: errNoTime},
		{in: `"\t\u0020"`, wantErr: errNoTime},
		{in: `null`, wantErr: errNotTimestamp}, // the decoder makes null nil
		{in: ``, wantErr: errNoTime},
	}
	for _, tt := range tests {
		got, err := rawTime(tt.in).parse()
		if !errors.Is(err, tt.wantErr) || !got.Equal(tt.want) {
			t.Errorf("parse(%s) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
