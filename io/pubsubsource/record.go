package pubsubsource

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"

	"github.com/example/clickstream/schemas"
)

// message is what both readers take from a Pub/Sub message.
type message struct {
	Data       []byte
	Attributes map[string]string
	Published  time.Time
}

// toRecord converts a message read from subscription (a full name) into a
// record: the body cut at maxBytes (then marked too_large), Arrived the
// publish time. It returns the record's event time: the value of the
// attribute tsAttr when set, else the publish time; badTS reports a
// timestamp attribute that is missing or unparseable (the publish time is
// used instead).
func toRecord(m message, subscription string, maxBytes int, tsAttr string) (r schemas.Record, eventTime time.Time, badTS bool) {
	r = schemas.Record{
		Source:     "pubsub:" + subscriptionID(subscription),
		Data:       m.Data,
		Size:       int64(len(m.Data)),
		Arrived:    m.Published,
		Attributes: m.Attributes,
	}
	if len(m.Data) > maxBytes {
		r.Data = m.Data[:maxBytes]
		r.ReadError = schemas.ReasonTooLarge
		r.ReadDetail = fmt.Sprintf("message of %d bytes exceeds the limit of %d", len(m.Data), maxBytes)
	}
	eventTime = m.Published
	if tsAttr != "" {
		t, ok := parseTimestamp(m.Attributes[tsAttr])
		if ok {
			eventTime = t
		}
		badTS = !ok
	}
	return r, eventTime, badTS
}

// parseTimestamp parses a timestamp attribute: RFC 3339 or Unix
// milliseconds, as Beam's Pub/Sub readers accept, within the times Beam can
// represent.
func parseTimestamp(v string) (time.Time, bool) {
	var t time.Time
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		t = time.UnixMilli(ms).UTC()
	} else if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
		return time.Time{}, false
	}
	if t.Before(mtime.MinTimestamp.ToTime()) || t.After(mtime.EndOfGlobalWindowTime.ToTime()) {
		return time.Time{}, false
	}
	return t, true
}

// recordMaker converts messages with toRecord and counts them, for both
// readers (the project's own and Dataflow's native one).
type recordMaker struct {
	messages, bytes, tooLarge, badTimestamp beam.Counter
}

func newRecordMaker() recordMaker {
	return recordMaker{
		messages:     beam.NewCounter("pubsub", "messages"),
		bytes:        beam.NewCounter("pubsub", "bytes"),
		tooLarge:     beam.NewCounter("pubsub", "too_large"),
		badTimestamp: beam.NewCounter("pubsub", "bad_timestamp_attribute"),
	}
}

// record is toRecord for a message of the read o configures, counted.
func (rm recordMaker) record(ctx context.Context, m message, o ReadOptions) (schemas.Record, time.Time) {
	r, eventTime, badTS := toRecord(m, o.Subscription, o.MaxRecordBytes, o.TimestampAttribute)
	rm.messages.Inc(ctx, 1)
	rm.bytes.Inc(ctx, r.Size)
	if r.ReadError != "" {
		rm.tooLarge.Inc(ctx, 1)
	}
	if badTS {
		rm.badTimestamp.Inc(ctx, 1)
	}
	return r, eventTime
}
