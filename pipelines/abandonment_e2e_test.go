package pipelines

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/schemas"
)

// createTopic creates topic and a subscription to it on the emulator.
func createTopic(t *testing.T, project, topic, sub string) {
	t.Helper()
	ctx := context.Background()
	client, err := pubsub.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	name := "projects/" + project + "/topics/" + topic
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: "projects/" + project + "/subscriptions/" + sub, Topic: name, AckDeadlineSeconds: 60,
	}); err != nil {
		t.Fatal(err)
	}
}

// receiveAll receives sub until no message comes for 3 s, acknowledging
// each, and returns the messages' data.
func receiveAll(t *testing.T, project, sub string) [][]byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := pubsub.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	var mu sync.Mutex
	var data [][]byte
	last := time.Now()
	go func() {
		for ctx.Err() == nil {
			time.Sleep(500 * time.Millisecond)
			mu.Lock()
			if time.Since(last) > 3*time.Second {
				cancel()
			}
			mu.Unlock()
		}
	}()
	err = client.Subscriber(sub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		mu.Lock()
		data = append(data, m.Data)
		last = time.Now()
		mu.Unlock()
		m.Ack()
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return data
}

// truthCart is a line of the generator's truth_carts.jsonl: a cart that the
// live definition abandons, and whether the device came back.
type truthCart struct {
	DeviceID  string    `json:"device_id"`
	CartStart time.Time `json:"cart_start"`
	Recovered bool      `json:"recovered"`
}

// triggersMatchTruth checks the abandonment topic's messages against the
// generator's abandoned carts (truth_carts.jsonl in dir), by device and
// cart start within cartStartSlack (no trigger id is computed here): recall
// and precision, one distinct trigger_id per cart, and a recovered message
// for every recovered cart and none for the others.
//
// Exactly right is required for the carts of devices the stream saw as
// the batch truth does: no event in a held-back message (those arrive after
// the whole day), none received more than a minute after it happened (a
// late event can land inside a quiet period that already fired), and no
// rate-rule bot (streaming marks a rate bot only from its burst on). The
// other carts are reported, not checked.
func triggersMatchTruth(t *testing.T, dir string, messages [][]byte, events []schemas.Event, truth []groundtruth.Record, heldBack [][]byte) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth_carts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var carts []truthCart
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c truthCart
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		carts = append(carts, c)
	}
	if len(carts) == 0 {
		t.Fatal("truth_carts.jsonl lists no abandoned cart: the check needs some")
	}

	inexact := map[string]bool{}
	late := map[string]bool{}
	for _, line := range heldBack {
		for _, m := range eventIDPattern.FindAllSubmatch(line, -1) {
			late[string(m[1])] = true
		}
	}
	for _, e := range events {
		if late[e.EventID] || e.ReceivedAt.Sub(e.EventTime) > time.Minute {
			inexact[e.DeviceID] = true
		}
	}
	for _, r := range truth {
		if r.BotRule == schemas.BotRuleRate || late[r.EventID] {
			inexact[r.DeviceID] = true
		}
	}

	// The stream's carts, by device: the trigger ids of each cart start and
	// whether a recovered message came.
	type streamCart struct {
		start     time.Time
		ids       map[string]bool
		recovered bool
		matched   bool
	}
	byDevice := map[string][]*streamCart{}
	cartOf := func(device string, start time.Time) *streamCart {
		for _, c := range byDevice[device] {
			if c.start.Equal(start) {
				return c
			}
		}
		c := &streamCart{start: start, ids: map[string]bool{}}
		byDevice[device] = append(byDevice[device], c)
		return c
	}
	var triggers int64
	for _, data := range messages {
		var m schemas.CartAbandonment
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("abandonment message %s: %v", data, err)
		}
		c := cartOf(m.DeviceID, m.CartStart)
		if m.Status == schemas.CartRecovered {
			c.recovered = true
			continue
		}
		triggers += b2i(len(c.ids) == 0)
		c.ids[m.TriggerID] = true
	}

	// A truth cart matches the device's stream cart that started within
	// cartStartSlack of it: the pipeline derives event times from the
	// device's clock corrected by the transport delay, the truth has the
	// true ones.
	var exact, exactFound, found int64
	for _, c := range carts {
		strict := !inexact[c.DeviceID]
		exact += b2i(strict)
		var match *streamCart
		for _, s := range byDevice[c.DeviceID] {
			if d := s.start.Sub(c.CartStart); len(s.ids) > 0 && !s.matched && d.Abs() <= cartStartSlack {
				match = s
				break
			}
		}
		if match == nil {
			if strict {
				t.Errorf("cart of device %s started %v: abandoned in the truth, no trigger", c.DeviceID, c.CartStart)
			}
			continue
		}
		match.matched = true
		found++
		exactFound += b2i(strict)
		if !strict {
			continue
		}
		if len(match.ids) != 1 {
			t.Errorf("cart of device %s started %v: %d distinct trigger ids, want 1", c.DeviceID, c.CartStart, len(match.ids))
		}
		if c.Recovered != match.recovered {
			t.Errorf("cart of device %s started %v: recovered %v in the truth, recovered message %v", c.DeviceID, c.CartStart, c.Recovered, match.recovered)
		}
	}
	var exactTriggers, exactFalse, falsePositives int64
	for device, cs := range byDevice {
		strict := !inexact[device]
		for _, c := range cs {
			if len(c.ids) == 0 {
				continue
			}
			exactTriggers += b2i(strict)
			if c.matched {
				continue
			}
			falsePositives++
			if strict {
				exactFalse++
				t.Errorf("trigger for device %s, cart started %v: no such abandoned cart in the truth", device, c.start)
			}
		}
	}
	if exact == 0 {
		t.Error("no abandoned cart of a device the stream saw exactly: the check compared nothing")
	}
	t.Logf("abandonment: %d messages; all carts: recall %d/%d, precision %d/%d; devices seen exactly: recall %d/%d, precision %d/%d",
		len(messages), found, len(carts), triggers-falsePositives, triggers,
		exactFound, exact, exactTriggers-exactFalse, exactTriggers)
}

// cartStartSlack is how far a stream cart's start may be from the truth's.
const cartStartSlack = 5 * time.Second
