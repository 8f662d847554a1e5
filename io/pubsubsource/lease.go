package pubsubsource

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

const (
	// maxLease is how long a message's lease is extended at most: a
	// message whose rows never all arrive is redelivered after that.
	maxLease = time.Hour
	// maxAckIDs is the most ack ids one Acknowledge or ModifyAckDeadline
	// request carries (the service's request size limit).
	maxAckIDs = 2500
)

// leaseKeeper extends the ack deadlines of the messages the reader emitted
// until Acknowledge reports them acked or maxLease passes. There is one per
// subscription and endpoint in a process, shared by the reader and the
// acknowledger (see doc.go for what happens when they do not share one).
type leaseKeeper struct {
	sub, project, endpoint string
	deadline               time.Duration
	// after is the keeper's clock: it delivers the time once d has passed
	// (time.After; tests step it by hand).
	after func(d time.Duration) <-chan time.Time

	mu       sync.Mutex
	run      string           // the read whose leases are held
	leases   map[string]lease // by ack id
	gaveUp   []string         // message ids whose leases were given up at maxLease
	running  bool
	extended int64 // extensions sent, not yet reported to a counter
	expired  int64 // leases given up at maxLease, not yet reported
}

// lease is a message the reader emitted and Acknowledge has not acked yet.
type lease struct {
	messageID string
	since     time.Time // when it was received
}

var (
	keepersMu sync.Mutex
	keepers   = map[string]*leaseKeeper{}
)

// keeperFor returns the process's lease keeper for the subscription of o
// (o.withDefaults() applied).
func keeperFor(o ReadOptions) *leaseKeeper {
	key := effectiveEndpoint(o.Endpoint) + "|" + o.Subscription
	keepersMu.Lock()
	defer keepersMu.Unlock()
	k := keepers[key]
	if k == nil {
		k = &leaseKeeper{sub: o.Subscription, project: o.Project, endpoint: o.Endpoint, after: time.After,
			leases: map[string]lease{}}
		keepers[key] = k
	}
	k.mu.Lock()
	k.deadline = o.AckDeadline
	k.mu.Unlock()
	return k
}

// hold starts extending the leases of msgs, received at now.
func (k *leaseKeeper) hold(msgs []*pubsubpb.ReceivedMessage, now time.Time) {
	if len(msgs) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, m := range msgs {
		k.leases[m.GetAckId()] = lease{messageID: m.GetMessage().GetMessageId(), since: now}
	}
	if !k.running {
		k.running = true
		go k.keep()
	}
}

// release stops extending the leases of ackIDs (acked, or given back).
func (k *leaseKeeper) release(ackIDs []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ackIDs {
		delete(k.leases, id)
	}
}

// takeCounts returns the extensions sent and leases given up since the last
// call: the keeper runs outside any bundle, so DoFns report them.
func (k *leaseKeeper) takeCounts() (extended, expired int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	extended, expired = k.extended, k.expired
	k.extended, k.expired = 0, 0
	return extended, expired
}

// begin tells the keeper which read (one job run) holds leases now. When a
// new read starts in this process, the leases of the earlier one are given
// back: messages whose rows never completed (e.g. its job failed) become
// available again at once instead of being held until maxLease.
func (k *leaseKeeper) begin(ctx context.Context, c *pubsub.Client, run string) error {
	k.mu.Lock()
	if k.run == run {
		k.mu.Unlock()
		return nil
	}
	k.run = run
	ids := slices.Collect(maps.Keys(k.leases))
	clear(k.leases)
	k.gaveUp = nil
	k.mu.Unlock()
	return modifyDeadline(ctx, c, k.sub, ids, 0)
}

// Unacked is a message that a read in this process emitted and that was
// never acknowledged, with the reason.
type Unacked struct {
	MessageID string
	Reason    string
}

// Why a message stays unacknowledged.
const (
	ReasonRowsUnconfirmed = "not all of its rows were confirmed written when the job ended"
	ReasonLeaseGivenUp    = "its lease was given up after an hour without all of its rows confirmed"
)

// GiveBackUnacked returns the messages of the subscription of o that reads
// in this process emitted and Acknowledge never acknowledged, and gives
// their leases back (deadline 0), so that Pub/Sub redelivers them at once
// instead of when the process's leases lapse. A local run calls it once
// its job has ended: the list is then exactly the messages the run leaves
// for redelivery (a duplicate of whatever rows they got, never a loss).
// Where reader and acknowledger do not share a process, the reader's
// keeper does not know what was acknowledged: see the package doc.
func GiveBackUnacked(ctx context.Context, o ReadOptions) ([]Unacked, error) {
	o = o.withDefaults()
	k := keeperFor(o)
	k.mu.Lock()
	var out []Unacked
	ackIDs := make([]string, 0, len(k.leases))
	for id, l := range k.leases {
		ackIDs = append(ackIDs, id)
		out = append(out, Unacked{MessageID: l.messageID, Reason: ReasonRowsUnconfirmed})
	}
	for _, id := range k.gaveUp {
		out = append(out, Unacked{MessageID: id, Reason: ReasonLeaseGivenUp})
	}
	clear(k.leases)
	k.gaveUp = nil
	k.mu.Unlock()
	slices.SortFunc(out, func(a, b Unacked) int { return strings.Compare(a.MessageID, b.MessageID) })
	if len(ackIDs) == 0 {
		return out, nil
	}
	c, err := newClient(ctx, o.Project, o.Endpoint)
	if err != nil {
		return out, err
	}
	defer func() { _ = c.Close() }()
	return out, modifyDeadline(ctx, c, o.Subscription, ackIDs, 0)
}

// keep extends the leases every third of the ack deadline while any are
// held.
func (k *leaseKeeper) keep() {
	ctx := context.Background()
	c, err := newClient(ctx, k.project, k.endpoint)
	if err != nil {
		slog.Error("pubsub lease keeper: no client; leases will lapse", "subscription", k.sub, "err", err)
		k.mu.Lock()
		k.running = false
		k.mu.Unlock()
		return
	}
	defer func() { _ = c.Close() }()
	for {
		k.mu.Lock()
		period := k.deadline / 3
		k.mu.Unlock()
		ids, deadline := k.due(<-k.after(period))
		if ids == nil {
			return
		}
		if err := modifyDeadline(ctx, c, k.sub, ids, deadline); err != nil {
			// The next round retries; a lease that lapses meanwhile only
			// causes a redelivery.
			slog.Warn("pubsub lease keeper: extending leases", "subscription", k.sub, "err", err)
			continue
		}
		k.mu.Lock()
		k.extended += int64(len(ids))
		k.mu.Unlock()
	}
}

// due drops the leases held longer than maxLease and returns the others with
// the deadline to extend them by; nil (and running set to false) when none
// is left.
func (k *leaseKeeper) due(now time.Time) ([]string, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var ids []string
	for id, l := range k.leases {
		if now.Sub(l.since) >= maxLease {
			delete(k.leases, id)
			k.gaveUp = append(k.gaveUp, l.messageID)
			k.expired++
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		k.running = false
		return nil, 0
	}
	return ids, k.deadline
}

// modifyDeadline sets the ack deadline of ackIDs (0 gives them back), in
// requests of at most maxAckIDs.
func modifyDeadline(ctx context.Context, c *pubsub.Client, sub string, ackIDs []string, d time.Duration) error {
	for batch := range slices.Chunk(ackIDs, maxAckIDs) {
		err := c.SubscriptionAdminClient.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
			Subscription: sub, AckIds: batch, AckDeadlineSeconds: int32(d / time.Second),
		})
		if err != nil {
			return fmt.Errorf("modify ack deadline of %d messages on %s: %w", len(batch), sub, err)
		}
	}
	return nil
}

// acknowledge acknowledges ackIDs in requests of at most maxAckIDs.
func acknowledge(ctx context.Context, c *pubsub.Client, sub string, ackIDs []string) error {
	for batch := range slices.Chunk(ackIDs, maxAckIDs) {
		err := c.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: sub, AckIds: batch})
		if err != nil {
			return fmt.Errorf("acknowledge %d messages on %s: %w", len(batch), sub, err)
		}
	}
	return nil
}

// leaseCounters are the counters of the lease keeper's work, reported by the
// DoFns that share it.
func leaseCounters() (extensions, expired beam.Counter) {
	return beam.NewCounter("pubsub", "lease_extensions"), beam.NewCounter("pubsub", "leases_expired")
}
