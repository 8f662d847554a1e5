package pubsubsource

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// SubscriptionTTL is how long a subscription made by CreateSubscription may
// stay inactive (no pull, no acknowledgement, no subscriber) before Pub/Sub
// deletes it: the service's minimum, one day, since nothing else ever
// deletes the subscriptions of ad-hoc runs.
const SubscriptionTTL = 24 * time.Hour

// CreateSubscription creates the subscription id (short, in o.Project, or a
// full name) on topic (short, in o.Project, or a full name) with
// o.AckDeadline and an expiration policy of SubscriptionTTL, and returns its
// short id. It is for runs given a topic without a subscription.
func CreateSubscription(ctx context.Context, o ReadOptions, topic, id string) (string, error) {
	o.Subscription = id
	o = o.withDefaults()
	if !strings.HasPrefix(topic, "projects/") {
		topic = fmt.Sprintf("projects/%s/topics/%s", o.Project, topic)
	}
	c, err := newClient(ctx, o.Project, o.Endpoint)
	if err != nil {
		return "", err
	}
	defer func() { _ = c.Close() }()
	_, err = c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name:               o.Subscription,
		Topic:              topic,
		AckDeadlineSeconds: int32(o.AckDeadline.Seconds()),
		ExpirationPolicy:   &pubsubpb.ExpirationPolicy{Ttl: durationpb.New(SubscriptionTTL)},
	})
	if err != nil {
		return "", fmt.Errorf("create subscription %s on %s: %w", o.Subscription, topic, err)
	}
	return subscriptionID(o.Subscription), nil
}
