// Command publish replays raw event files (as the generator writes them) to
// a Pub/Sub topic, one message per line, at a chosen rate: the collection
// endpoint of a streaming run on a laptop. Duplicates and malformed lines
// are in the files already; --late_fraction holds some messages back to the
// end, so that their events arrive hours behind the watermark.
//
//	PUBSUB_EMULATOR_HOST=127.0.0.1:8085 publish --project demo --topic raw-events \
//	    --subscription clickstream --input 'data/sample/raw/*/*' --rate 5000
//
// Every message gets the attribute event_time: the line's received_at (its
// arrival in the files' simulated clock), so that a pipeline reading with
// --timestamp_attribute=event_time has a watermark that follows the replayed
// day rather than today's wall clock. It imports nothing of the pipeline.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TimestampAttribute is the attribute that carries each message's event time.
const TimestampAttribute = "event_time"

var (
	project      = flag.String("project", "", "Google Cloud project (any id on the emulator). Required.")
	topic        = flag.String("topic", "raw-events", "Topic to publish to; created if missing.")
	subscription = flag.String("subscription", "", "If set, a subscription on the topic to create if missing (before publishing, so it sees every message); Pub/Sub deletes it after a day without use.")
	input        = flag.String("input", "", "Comma-separated globs of raw files (JSON lines, gzip detected from content). Required unless --count.")
	rateFlag     = flag.Float64("rate", 5000, "Messages per second (0: as fast as possible).")
	lateFraction = flag.Float64("late_fraction", 0, "Fraction of messages held back and published after all others.")
	seed         = flag.Uint64("seed", 1, "Seed for choosing the late messages.")
	count        = flag.Bool("count", false, "Print the number of messages the input makes and exit.")
	drain        = flag.String("drain", "", "Instead of publishing: receive --subscription until it is quiet for 5s, acknowledge, and print the messages and the distinct values of this attribute (e.g. trigger_id).")
	createOnly   = flag.Bool("create_only", false, "Create the topic and subscription and exit (so that a reader can start before the messages come).")
	clock        = flag.String("clock", "", "Publishing: write the replay's clock to this file (the wall time at which each event time was reached). With --drain of the abandonment topic: read it and print the trigger latency.")
	abandonAfter = flag.Duration("abandon_after", 15*time.Minute, "With --drain and --clock: the pipeline's --abandon_after.")
)

func main() {
	flag.Parse()
	if err := run(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "publish: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if *createOnly {
		return setUp(ctx, func(*pubsub.Client, string) error { return nil })
	}
	if *drain != "" {
		return setUp(ctx, func(client *pubsub.Client, _ string) error { return receiveAll(ctx, client) })
	}
	paths, err := expand(*input)
	if err != nil {
		return err
	}
	lines, err := readLines(paths)
	if err != nil {
		return err
	}
	if *count {
		fmt.Println(len(lines))
		return nil
	}
	return setUp(ctx, func(client *pubsub.Client, topicName string) error {
		return publish(ctx, client, topicName, lines)
	})
}

// setUp connects, creates the topic and subscription unless they exist, and
// calls then.
func setUp(ctx context.Context, then func(*pubsub.Client, string) error) error {
	if *project == "" {
		return errors.New("give --project")
	}
	client, err := pubsub.NewClient(ctx, *project)
	if err != nil {
		return fmt.Errorf("pubsub client: %w", err)
	}
	defer func() { _ = client.Close() }()
	topicName := "projects/" + *project + "/topics/" + *topic
	if err := ensure(ctx, client, topicName, *subscription); err != nil {
		return err
	}
	return then(client, topicName)
}

// publish sends the lines, the late ones last, at --rate.
func publish(ctx context.Context, client *pubsub.Client, topicName string, lines [][]byte) error {
	order, late := withLateLast(len(lines), *lateFraction, *seed)
	pub := client.Publisher(topicName)
	defer pub.Stop()
	limit := rate.Inf
	if *rateFlag > 0 {
		limit = rate.Limit(*rateFlag)
	}
	limiter := rate.NewLimiter(limit, 100)
	var ticks *clockWriter
	if *clock != "" {
		var err error
		if ticks, err = newClockWriter(*clock); err != nil {
			return err
		}
	}
	started := time.Now()
	results := make([]*pubsub.PublishResult, 0, len(order))
	for i, idx := range order {
		if err := limiter.Wait(ctx); err != nil {
			return err
		}
		at := receivedAt(lines[idx])
		results = append(results, pub.Publish(ctx, &pubsub.Message{
			Data:       lines[idx],
			Attributes: map[string]string{TimestampAttribute: at.Format(time.RFC3339Nano)},
		}))
		if ticks != nil {
			if err := ticks.published(at); err != nil {
				return err
			}
		}
		if (i+1)%50000 == 0 {
			slog.Info("publishing", "published", i+1, "of", len(order), "per_second", int(float64(i+1)/time.Since(started).Seconds()))
		}
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	if ticks != nil {
		if err := ticks.Close(); err != nil {
			return err
		}
	}
	secs := time.Since(started).Seconds()
	slog.Info("published", "messages", len(order), "late", late,
		"seconds", fmt.Sprintf("%.1f", secs), "per_second", int(float64(len(order))/secs))
	return nil
}

// drainQuiet is how long --drain waits for a message before it stops.
const drainQuiet = 5 * time.Second

// receiveAll receives --subscription until no message comes for drainQuiet,
// acknowledging each, and prints the count of messages and of distinct
// values of the --drain attribute.
func receiveAll(ctx context.Context, client *pubsub.Client) error {
	if *subscription == "" {
		return errors.New("--drain needs --subscription")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ticks []clockTick
	if *clock != "" {
		var err error
		if ticks, err = readClock(*clock); err != nil {
			return err
		}
	}
	var latencies triggerLatencies
	var mu sync.Mutex
	ids, seen := map[string]bool{}, map[string]bool{}
	n := 0
	last := time.Now()
	go func() {
		for ctx.Err() == nil {
			time.Sleep(time.Second)
			mu.Lock()
			if time.Since(last) >= drainQuiet {
				cancel()
			}
			mu.Unlock()
		}
	}()
	err := client.Subscriber(*subscription).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		mu.Lock()
		n++
		ids[m.Attributes[*drain]] = true
		if ticks != nil {
			latencies.add(ticks, *abandonAfter, m.Data, m.PublishTime, seen)
		}
		last = time.Now()
		mu.Unlock()
		m.Ack()
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("receive %s: %w", *subscription, err)
	}
	fmt.Printf("%s: %d messages, %d distinct %s\n", *subscription, n, len(ids), *drain)
	if ticks != nil {
		latencies.print(os.Stdout, *abandonAfter)
	}
	return nil
}

// subscriptionTTL is how long a subscription this tool creates may stay
// unused before Pub/Sub deletes it (the service's minimum): nothing else
// deletes the subscriptions of ad-hoc runs.
const subscriptionTTL = 24 * time.Hour

// ensure creates the topic and subscription unless they exist.
func ensure(ctx context.Context, client *pubsub.Client, topicName, sub string) error {
	_, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topicName})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("create topic: %w", err)
	}
	if sub == "" {
		return nil
	}
	_, err = client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: "projects/" + *project + "/subscriptions/" + sub, Topic: topicName, AckDeadlineSeconds: 60,
		ExpirationPolicy: &pubsubpb.ExpirationPolicy{Ttl: durationpb.New(subscriptionTTL)},
	})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("create subscription: %w", err)
	}
	return nil
}

// withLateLast returns the publishing order: every line in file order, but
// a seeded fraction of them moved to the end; and how many were moved.
func withLateLast(n int, fraction float64, seed uint64) ([]int, int) {
	rng := rand.New(rand.NewPCG(seed, 0))
	var early, late []int
	for i := range n {
		if rng.Float64() < fraction {
			late = append(late, i)
		} else {
			early = append(early, i)
		}
	}
	return append(early, late...), len(late)
}

// receivedAt is the line's received_at, or now for a line without one.
func receivedAt(line []byte) time.Time {
	var v struct {
		ReceivedAt string `json:"received_at"`
	}
	if json.Unmarshal(line, &v) == nil {
		if t, err := time.Parse(time.RFC3339Nano, v.ReceivedAt); err == nil {
			return t.UTC()
		}
	}
	return time.Now().UTC()
}

// expand resolves the globs, sorted (the generator's names sort by arrival).
func expand(globs string) ([]string, error) {
	var out []string
	for _, g := range strings.Split(globs, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("glob %q: %w", g, err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no files match --input %q", globs)
	}
	sort.Strings(out)
	return out, nil
}

// readLines reads every non-blank line of the files. A truncated gzip file
// gives the lines before the damage, with a warning.
func readLines(paths []string) ([][]byte, error) {
	var lines [][]byte
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var r io.Reader = bytes.NewReader(b)
		if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
			gz, err := gzip.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			r = gz
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) > 0 {
				lines = append(lines, bytes.Clone(sc.Bytes()))
			}
		}
		if err := sc.Err(); err != nil {
			slog.Warn("file cut short, publishing the lines before the damage", "file", path, "err", err)
		}
	}
	return lines, nil
}
