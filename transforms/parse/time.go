package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Bounds on timestamps: outside them a clock is not wrong but absurd.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// MaxClientDelay is the longest a device may hold an event before sending it
// for the derived timestamp to be trusted.
const MaxClientDelay = 30 * 24 * time.Hour

// Time sources: how an event's time was obtained.
const (
	TimeDerived    = "derived"
	TimeReceivedAt = "received_at"
	TimeCreatedAt  = "created_at"
)

// rawTime is a timestamp field as it appears in JSON: an RFC 3339 string or a
// number of epoch milliseconds. It never fails to decode, so a bad value is
// reported as bad_timestamp rather than as a type error.
type rawTime []byte

func (t *rawTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = nil
		return nil
	}
	*t = append(rawTime(nil), b...)
	return nil
}

var errNoTime = errors.New("absent")

// parse returns the timestamp, errNoTime when absent, or an error.
func (t rawTime) parse() (time.Time, error) {
	if len(t) == 0 {
		return time.Time{}, errNoTime
	}
	if t[0] == '"' {
		s, err := unquote(t)
		if err != nil {
			return time.Time{}, err
		}
		if s == "" {
			return time.Time{}, errNoTime
		}
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
		}
		return ts.UTC(), nil
	}
	if bytes.ContainsAny(t, "{[tfn") {
		return time.Time{}, fmt.Errorf("%s is not a timestamp", t)
	}
	ms, err := strconv.ParseFloat(string(t), 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not epoch milliseconds", t)
	}
	return time.UnixMilli(int64(ms)).UTC(), nil
}

// unquote returns the string a JSON string literal holds, without a JSON
// decoder on the common path (a timestamp has no escapes).
func unquote(t rawTime) (string, error) {
	if len(t) >= 2 && t[len(t)-1] == '"' && bytes.IndexByte(t, '\\') < 0 {
		return string(t[1 : len(t)-1]), nil
	}
	var s string
	err := json.Unmarshal(t, &s)
	return s, err
}

func inBounds(t time.Time) bool { return !t.Before(minTime) && t.Before(maxTime) }

// EventTime derives when an event happened from the device's created_at and
// sent_at and the collector's received_at (zero when absent), as Snowplow's
// derived timestamp does:
//
//   - received_at and sent_at known and 0 <= sent_at-created_at <= MaxClientDelay:
//     received_at - (sent_at - created_at), "derived": the device clock's
//     offset cancels out and a beacon sent hours late keeps its time;
//   - received_at known otherwise: received_at, "received_at";
//   - no received_at: created_at, "created_at".
//
// ok is false when the result rests on an absurd clock: received_at, or
// created_at used alone, outside [2000-01-01, 2100-01-01).
func EventTime(created, sent, received time.Time) (t time.Time, source string, ok bool) {
	if received.IsZero() {
		return created, TimeCreatedAt, inBounds(created)
	}
	if !inBounds(received) {
		return received, TimeReceivedAt, false
	}
	if !sent.IsZero() {
		if delay := sent.Sub(created); delay >= 0 && delay <= MaxClientDelay {
			return received.Add(-delay), TimeDerived, true
		}
	}
	return received, TimeReceivedAt, true
}
