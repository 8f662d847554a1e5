package pubsub

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
)

// pullOnce pulls at most one message, or none within pstest's short wait.
func pullOnce(t *testing.T, f *fake) *pubsubpb.ReceivedMessage {
	t.Helper()
	resp, err := f.GServer.Pull(context.Background(), &pubsubpb.PullRequest{Subscription: f.sub, MaxMessages: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ReceivedMessages) == 0 {
		return nil
	}
	return resp.ReceivedMessages[0]
}

func TestLeaseKeeperExtendsUntilReleased(t *testing.T) {
	pstest.SetMinAckDeadline(time.Second)
	t.Cleanup(pstest.ResetMinAckDeadline)
	f := newFake(t, time.Second)
	id := f.Publish(f.topic, []byte("x"), nil)
	m := pullOnce(t, f)
	if m == nil {
		t.Fatal("no message")
	}
	o := f.options().withDefaults()
	k := &leaseKeeper{sub: o.Subscription, project: o.Project, endpoint: o.Endpoint, deadline: 1200 * time.Millisecond,
		leases: map[string]lease{}}
	k.hold([]*pubsubpb.ReceivedMessage{m}, time.Now())

	// Three subscription deadlines later the message is still leased.
	time.Sleep(3 * time.Second)
	if again := pullOnce(t, f); again != nil {
		t.Fatalf("message redelivered while its lease was held (ack id %s)", again.AckId)
	}
	extended, _ := k.takeCounts()
	if extended < 3 || len(f.Message(id).Modacks) < 3 {
		t.Errorf("%d extensions counted, %d modacks seen; want at least 3", extended, len(f.Message(id).Modacks))
	}

	k.release([]string{m.AckId})
	time.Sleep(2 * time.Second)
	if again := pullOnce(t, f); again == nil {
		t.Error("message not redelivered after its lease was released and lapsed")
	}
	if d := f.Message(id).Deliveries; d != 2 {
		t.Errorf("%d deliveries, want 2", d)
	}
}

func TestLeaseKeeperGivesUpAfterMaxLease(t *testing.T) {
	k := &leaseKeeper{deadline: time.Minute, leases: map[string]lease{}}
	now := time.Now()
	k.leases["old"] = lease{messageID: "m-old", since: now.Add(-maxLease)}
	k.leases["new"] = lease{messageID: "m-new", since: now.Add(-time.Minute)}
	ids, d := k.due(now)
	if len(ids) != 1 || ids[0] != "new" || d != time.Minute {
		t.Errorf("due: %v %v, want [new] 1m", ids, d)
	}
	if _, expired := k.takeCounts(); expired != 1 || len(k.gaveUp) != 1 || k.gaveUp[0] != "m-old" {
		t.Errorf("%d leases expired, given up %v; want 1, [m-old]", expired, k.gaveUp)
	}
	k.release([]string{"new"})
	if ids, _ := k.due(now); ids != nil || k.running {
		t.Errorf("due with no leases: %v, running %v; want nil, false", ids, k.running)
	}
}

// TestGiveBackUnacked ends a "run" holding one lease and having given up
// another: both messages are reported with their reasons, and the held one
// is available again at once.
func TestGiveBackUnacked(t *testing.T) {
	f := newFake(t, time.Minute)
	held := f.Publish(f.topic, []byte("held"), nil)
	m := pullOnce(t, f)
	if m == nil {
		t.Fatal("no message")
	}
	o := f.options()
	k := keeperFor(o.withDefaults())
	k.hold([]*pubsubpb.ReceivedMessage{m}, time.Now())
	k.mu.Lock()
	k.gaveUp = append(k.gaveUp, "lapsed")
	k.mu.Unlock()

	got, err := GiveBackUnacked(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := []Unacked{{MessageID: held, Reason: ReasonRowsUnconfirmed}, {MessageID: "lapsed", Reason: ReasonLeaseGivenUp}}
	slices.SortFunc(want, func(a, b Unacked) int { return strings.Compare(a.MessageID, b.MessageID) })
	if !slices.Equal(got, want) {
		t.Errorf("unacked %v, want %v", got, want)
	}
	if again := pullOnce(t, f); again == nil || again.Message.MessageId != held {
		t.Errorf("pulled %v after giving back, want message %s at once", again, held)
	}
	if got, err := GiveBackUnacked(context.Background(), o); err != nil || len(got) != 0 {
		t.Errorf("second call: %v, %v; want nothing left", got, err)
	}
}
