package pubsubsink

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/io/internal/pubsubclient"
)

func init() {
	register.DoFn3x0[context.Context, beam.X, func(int64)](&publishFn{})
	register.Emitter1[int64]()
}

// Options configure Publish.
type Options struct {
	// Project is the GCP project of the topic.
	Project string
	// Topic is the topic id (short) or projects/P/topics/T.
	Topic string
	// Endpoint is the host:port of an emulator or pstest; empty means
	// PUBSUB_EMULATOR_HOST if set, else Google.
	Endpoint string
	// IDField names the row's JSON field (a string) copied to the message
	// attribute of the same name; required.
	IDField string
	// Attempts is how many times a message is published before it counts
	// as failed (default 3); the client library retries transient errors
	// within each attempt.
	Attempts int
	// Backoff is the wait before the second attempt, doubled for each
	// further one (default 1s).
	Backoff time.Duration
}

const (
	defaultAttempts = 3
	defaultBackoff  = time.Second
)

// Publish publishes each element of rows (a struct with JSON tags) to
// o.Topic as its JSON encoding, with the attribute o.IDField set to the
// row's field of that name. It returns PCollection<int64>: the messages
// each bundle published, once the server has confirmed them (in the global
// window). It counts pubsubsink/published and pubsubsink/failed; it panics
// while the graph is built when o.Topic or o.IDField is empty.
func Publish(s beam.Scope, rows beam.PCollection, o Options) beam.PCollection {
	if o.Topic == "" || o.IDField == "" {
		panic("pubsubsink: Topic and IDField are required")
	}
	if o.Attempts <= 0 {
		o.Attempts = defaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = defaultBackoff
	}
	s = s.Scope("pubsubsink.Publish")
	return beam.ParDo(s, &publishFn{Options: o}, rows)
}

// pending is a message published in the current bundle and its result.
type pending struct {
	msg    *pubsub.Message
	result *pubsub.PublishResult
}

// publishFn publishes asynchronously and waits for the bundle's results in
// FinishBundle, republishing the failed messages until Attempts, then
// emits how many were published.
type publishFn struct {
	Options Options

	client            *pubsub.Client
	publisher         *pubsub.Publisher
	pending           []pending
	published, failed beam.Counter
}

func (fn *publishFn) Setup(ctx context.Context) error {
	c, err := pubsubclient.New(ctx, fn.Options.Project, fn.Options.Endpoint)
	if err != nil {
		return err
	}
	fn.client, fn.publisher = c, c.Publisher(fn.Options.Topic)
	fn.published = beam.NewCounter("pubsubsink", "published")
	fn.failed = beam.NewCounter("pubsubsink", "failed")
	return nil
}

func (fn *publishFn) ProcessElement(ctx context.Context, row beam.X, _ func(int64)) {
	msg, err := message(row, fn.Options.IDField)
	if err != nil {
		log.Errorf(ctx, "pubsubsink: %s: %v", fn.Options.Topic, err)
		fn.failed.Inc(ctx, 1)
		return
	}
	fn.pending = append(fn.pending, pending{msg, fn.publisher.Publish(ctx, msg)})
}

func (fn *publishFn) FinishBundle(ctx context.Context, emit func(int64)) {
	var published int64
	wait := fn.Options.Backoff
	for attempt := 1; len(fn.pending) > 0; attempt++ {
		var retry []pending
		var last error
		for _, p := range fn.pending {
			if _, err := p.result.Get(ctx); err != nil {
				retry, last = append(retry, p), err
				continue
			}
			published++
		}
		if len(retry) > 0 && attempt >= fn.Options.Attempts {
			log.Errorf(ctx, "pubsubsink: %d messages not published to %s after %d attempts: %v", len(retry), fn.Options.Topic, attempt, last)
			fn.failed.Inc(ctx, int64(len(retry)))
			retry = nil
		}
		if len(retry) > 0 {
			time.Sleep(wait)
			wait *= 2
			for i := range retry {
				retry[i].result = fn.publisher.Publish(ctx, retry[i].msg)
			}
		}
		fn.pending = retry
	}
	if published > 0 {
		fn.published.Inc(ctx, published)
		emit(published)
	}
}

func (fn *publishFn) Teardown() error {
	if fn.client == nil {
		return nil
	}
	fn.publisher.Stop()
	return fn.client.Close()
}

// message is row's JSON encoding with the attribute idField set to the
// row's string field of that name.
func message(row any, idField string) (*pubsub.Message, error) {
	data, err := json.Marshal(row)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", row, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("%T is not a JSON object: %w", row, err)
	}
	var id string
	if err := json.Unmarshal(fields[idField], &id); err != nil || id == "" {
		return nil, fmt.Errorf("%T has no string field %q", row, idField)
	}
	return &pubsub.Message{Data: data, Attributes: map[string]string{idField: id}}, nil
}
