package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bounds on the times an event may be dated by: outside them a clock is not
// wrong but absurd.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// BigQuery's TIMESTAMP range, [0001-01-01, 9999-12-31] (in epoch
// milliseconds for the numeric form): a timestamp outside it can be stored
// nowhere, and the zero time.Time, its first instant, already means absent.
var (
	minStorable = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStorable = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)

	minStorableMilli = float64(minStorable.UnixMilli())
	maxStorableMilli = float64(maxStorable.UnixMilli())
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

// What parse finds wrong with a timestamp field. The dead-letter detail
// adds the field's name, JSON type and length, never its value.
var (
	errNoTime = errors.New("absent")
	// errOutOfRange: a timestamp, but outside BigQuery's range.
	errOutOfRange   = errors.New("outside BigQuery's TIMESTAMP range [0001-01-01, 9999-12-31]")
	errNotRFC3339   = errors.New("not an RFC 3339 timestamp")
	errNotMillis    = errors.New("not epoch milliseconds")
	errNotTimestamp = errors.New("not a timestamp")
)

// absent reports whether the field holds no time: not sent, null, or a
// blank string (the contract reads a blank field as an absent one).
func (t rawTime) absent() bool {
	switch {
	case len(t) == 0:
		return true
	case t[0] != '"' || len(t) < 2:
		return false
	case bytes.IndexByte(t, '\\') < 0:
		return len(bytes.TrimSpace(t[1:len(t)-1])) == 0
	}
	s, err := unquote(t)
	return err == nil && strings.TrimSpace(s) == ""
}

// parse returns the timestamp; errNoTime when absent; errOutOfRange when it
// is a timestamp outside BigQuery's range, checked before any conversion
// that could overflow (1e300 ms is no int64); or another error.
func (t rawTime) parse() (time.Time, error) {
	if t.absent() {
		return time.Time{}, errNoTime
	}
	var ts time.Time
	switch t[0] {
	case '"':
		s, err := unquote(t)
		if err != nil {
			return time.Time{}, errNotRFC3339
		}
		if ts, err = parseRFC3339(s); err != nil {
			return time.Time{}, errNotRFC3339
		}
		ts = ts.UTC()
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		ms, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return time.Time{}, errNotMillis
		}
		if math.IsInf(ms, 0) || ms <= minStorableMilli || ms >= maxStorableMilli {
			return time.Time{}, errOutOfRange
		}
		ts = time.UnixMilli(int64(ms)).UTC()
	default:
		return time.Time{}, errNotTimestamp
	}
	if !ts.After(minStorable) || !ts.Before(maxStorable) {
		return time.Time{}, errOutOfRange
	}
	return ts, nil
}

// parseRFC3339 parses an RFC 3339 timestamp, including forms beside the
// usual one that Go's parser refuses: those its section 5.6 allows, a
// lower-case "t" and "z" and a space between date and time (Python's
// str(datetime) writes "2026-11-23 10:15:30+00:00"), and ISO 8601's offset
// without a colon ("+0000", as strftime's %z and Java's "Z" pattern write
// it). A time with no offset names no instant and stays an error.
func parseRFC3339(s string) (time.Time, error) {
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err == nil || len(s) <= len("2006-01-02") {
		return ts, err
	}
	b := []byte(s)
	if sep := &b[len("2006-01-02")]; *sep == 't' || *sep == ' ' {
		*sep = 'T'
	}
	if last := &b[len(b)-1]; *last == 'z' {
		*last = 'Z'
	}
	if n := len(b); n >= len("2006-01-02T15:04:05-0700") && (b[n-5] == '+' || b[n-5] == '-') && isDigits(b[n-4:]) {
		b = append(b[:n-2:n-2], ':', b[n-2], b[n-1])
	}
	return time.Parse(time.RFC3339Nano, string(b))
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// describe names a timestamp field for a dead-letter detail: its JSON type
// and length, never its value.
func (t rawTime) describe(field string) string {
	return fmt.Sprintf("%s: JSON %s of %d bytes", field, jsonType(t), len(t))
}

// jsonType is the JSON type of a valid JSON value, from its first byte.
func jsonType(v []byte) string {
	if len(v) == 0 {
		return "value"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
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
// sent_at and the collector's received_at, as Snowplow's derived timestamp
// does. A zero time is a clock that is absent or unusable (outside
// BigQuery's range).
//
//   - received_at, sent_at and created_at known and
//     0 <= sent_at-created_at <= MaxClientDelay:
//     received_at - (sent_at - created_at), "derived": the device clock's
//     offset cancels out and a beacon sent hours late keeps its time;
//   - received_at known otherwise: received_at, "received_at";
//   - no received_at: created_at, "created_at".
//
// ok is false when the result rests on an absurd clock: received_at, or
// created_at used alone, outside [2000-01-01, 2100-01-01) (a zero created_at
// included). The time returned with ok true therefore always lies in
// [2000-01-01 - MaxClientDelay, 2100-01-01).
func EventTime(created, sent, received time.Time) (t time.Time, source string, ok bool) {
	if received.IsZero() {
		return created, TimeCreatedAt, inBounds(created)
	}
	if !inBounds(received) {
		return received, TimeReceivedAt, false
	}
	if !created.IsZero() && !sent.IsZero() {
		// Sub saturates instead of overflowing: device clocks centuries
		// apart give a delay far outside the window, never a wrapped one.
		if delay := sent.Sub(created); delay >= 0 && delay <= MaxClientDelay {
			return received.Add(-delay), TimeDerived, true
		}
	}
	return received, TimeReceivedAt, true
}
