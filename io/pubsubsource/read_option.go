package pubsubsource

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/example/clickstream/io/files"
	"github.com/example/clickstream/io/internal/pubsubclient"
)

// ReadOptions configure Read and Acknowledge.
type ReadOptions struct {
	// Project is the GCP project of the subscription.
	Project string
	// Subscription is the subscription id (short) or
	// projects/P/subscriptions/S.
	Subscription string
	// Endpoint is the host:port of an emulator or pstest; empty means
	// PUBSUB_EMULATOR_HOST if set, else Google.
	Endpoint string
	// TimestampAttribute, if set, names the message attribute holding the
	// element's event time (RFC 3339 or Unix milliseconds); else the
	// publish time is the event time.
	TimestampAttribute string
	// MaxRecordBytes cuts longer message bodies and marks them ReadError
	// "too_large" (default files.DefaultMaxRecordBytes).
	MaxRecordBytes int
	// MaxMessages stops a local run after this many messages (0: no limit).
	MaxMessages int64
	// MaxDuration stops a local run after this long (0: no limit).
	MaxDuration time.Duration
	// BatchSize is the most messages one Pull asks for (default 1000).
	BatchSize int
	// AckDeadline is the lease length; leases are extended while rows
	// travel (default 60s, at least 10s).
	AckDeadline time.Duration
	// Native uses Beam's pubsubio on Dataflow, which acknowledges on its own
	// checkpoints.
	Native bool
}

const (
	defaultBatchSize   = 1000
	defaultAckDeadline = 60 * time.Second
	// minAckDeadline and maxAckDeadline are Pub/Sub's bounds.
	minAckDeadline = 10 * time.Second
	maxAckDeadline = 600 * time.Second
)

// withDefaults returns o with defaults filled in; it panics on a
// configuration that cannot work, while the graph is built.
func (o ReadOptions) withDefaults() ReadOptions {
	if o.Subscription == "" {
		panic("pubsub: ReadOptions.Subscription is required")
	}
	if o.Project == "" && !strings.HasPrefix(o.Subscription, "projects/") {
		panic("pubsub: ReadOptions.Project is required with a short subscription id")
	}
	o.Subscription = subscriptionName(o.Project, o.Subscription)
	if o.Project == "" {
		o.Project = strings.Split(o.Subscription, "/")[1]
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = files.DefaultMaxRecordBytes
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.AckDeadline <= 0 {
		o.AckDeadline = defaultAckDeadline
	}
	o.AckDeadline = min(max(o.AckDeadline, minAckDeadline), maxAckDeadline)
	return o
}

// subscriptionName is the full name projects/P/subscriptions/S.
func subscriptionName(project, sub string) string {
	if strings.HasPrefix(sub, "projects/") {
		return sub
	}
	return fmt.Sprintf("projects/%s/subscriptions/%s", project, sub)
}

// subscriptionID is the short id: the last element of the full name.
func subscriptionID(sub string) string {
	return sub[strings.LastIndex(sub, "/")+1:]
}

// newClient opens a Pub/Sub client for project on endpoint (see
// pubsubclient.New).
func newClient(ctx context.Context, project, endpoint string) (*pubsub.Client, error) {
	return pubsubclient.New(ctx, project, endpoint)
}

// effectiveEndpoint is the endpoint a client of o talks to ("" for Google).
func effectiveEndpoint(endpoint string) string {
	if endpoint != "" {
		return endpoint
	}
	return os.Getenv("PUBSUB_EMULATOR_HOST")
}
