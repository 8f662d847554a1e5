package pipelines

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// TestStreamingEmulator runs the streaming pipeline against the real Pub/Sub
// emulator (scripts/pubsub-emulator.sh; the test fails if it cannot start):
// a generated day is published, one message per line with its received_at
// as the event_time attribute, the first 2% of messages held back so that
// their events arrive hours behind the watermark. Checked against the
// generator's truth: no record lost, reconciled per minute, every message
// acknowledged, duplicates removed, dead letters by reason, bots by the
// per-event rules, late events counted, the abandonment topic's triggers
// (triggersMatchTruth). The live tables are checked against their sql/live
// views over the rows the run wrote (liveTablesMatchViews).
func TestStreamingEmulator(t *testing.T) {
	host := startEmulator(t)
	t.Setenv("PUBSUB_EMULATOR_HOST", host)
	truth, c := streamingSample(t, 5, 6000, "clickstream-test", "raw-events", "clickstream")
	messages, dir := c.PubSub.MaxMessages, filepath.Dir(c.BotIPFile)
	createTopic(t, "clickstream-test", "abandonment", "abandonment-email")
	c.AbandonmentTopic = "abandonment"
	sum := runReconciled(t, c)
	want := map[string]int64{}
	wantDead := map[string]int64{}
	wantBots := map[string]int64{}
	for _, r := range truth {
		want[r.Outcome]++
		switch r.Outcome {
		case "dead_letter":
			wantDead[r.Reason]++
		case "bot":
			wantBots[r.BotRule]++
		}
	}
	if sum.InputRecords != int64(len(truth)) {
		t.Errorf("input_records = %d, truth has %d", sum.InputRecords, len(truth))
	}
	if sum.Messages != messages || sum.Acked != messages {
		t.Errorf("messages read %d, acked %d, published %d", sum.Messages, sum.Acked, messages)
	}
	// Copies arriving after the dedup horizon (the held-back messages are a
	// day late) are not recognized; every other copy is.
	missed := want["duplicate"] - sum.Duplicates
	if missed < 0 || missed > want["duplicate"]/20 {
		t.Errorf("duplicates = %d, truth %d", sum.Duplicates, want["duplicate"])
	}
	if fmt.Sprint(sum.DeadLetter) != fmt.Sprint(wantDead) {
		t.Errorf("dead letters by reason = %v, truth %v", sum.DeadLetter, wantDead)
	}

	events, err := warehouse.ReadRows[schemas.Event](c.Output, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	botRows, err := warehouse.ReadRows[schemas.BotEvent](c.Output, "bot_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A copy that dedup missed is written again: to fact_events, or to
	// bot_events when its event is a bot. Those are the only keys written
	// twice (fact_events_current and the batch run for the date remove
	// them), so bots are counted once per key.
	seen := map[string]bool{}
	var repeated int64
	first := func(device, event string) bool {
		key := device + "/" + event
		if seen[key] {
			repeated++
			return false
		}
		seen[key] = true
		return true
	}
	bots := map[string]int64{}
	for _, b := range botRows {
		if first(b.DeviceID, b.EventID) {
			bots[b.BotRule]++
		}
	}
	for _, e := range events {
		first(e.DeviceID, e.EventID)
	}
	if repeated > missed {
		t.Errorf("fact_events and bot_events repeat %d keys, but dedup missed only %d copies", repeated, missed)
	}
	// The user-agent and IP rules are per event, so streaming matches batch;
	// the rate rule works on a sliding window and cannot mark the events
	// before a burst (see bydevice.Stream), so it may mark fewer, and what
	// it does not mark is an event.
	for _, rule := range []string{schemas.BotRuleUserAgent, schemas.BotRuleIP} {
		if bots[rule] != wantBots[rule] {
			t.Errorf("bots by %s = %d, truth %d", rule, bots[rule], wantBots[rule])
		}
	}
	if rate := bots[schemas.BotRuleRate]; rate > wantBots[schemas.BotRuleRate] {
		t.Errorf("rate bots = %d, more than the batch rule's %d", rate, wantBots[schemas.BotRuleRate])
	}
	perEvent := bots[schemas.BotRuleUserAgent] + bots[schemas.BotRuleIP]
	if got, truth := sum.Events+sumValues(sum.Bots)-perEvent+sum.Duplicates, want["event"]+wantBots[schemas.BotRuleRate]+want["duplicate"]; got != truth {
		t.Errorf("events + rate bots + duplicates + copies written again = %d, truth %d", got, truth)
	}
	if sum.LateForSessions == 0 {
		t.Error("no event counted late_for_sessions, though 2% of messages came hours late")
	}
	if len(sum.Intervals) == 0 {
		t.Error("no per-minute reconciliation")
	}
	if int64(len(events)) != sum.Events || int64(len(botRows)) != sumValues(sum.Bots) {
		t.Errorf("fact_events holds %d rows and bot_events %d, summary says %d and %d", len(events), len(botRows), sum.Events, sumValues(sum.Bots))
	}
	lines, held := sampleLines(t, filepath.Join(dir, "raw", "*", "*"))
	liveTablesMatchViews(t, c.Output, lines[:held])
	triggersMatchTruth(t, dir, receiveAll(t, "clickstream-test", "abandonment-email"), events, truth, lines[:held])
	repairedByBatch(t, c, sum.RunID, dir, truth)

	t.Logf("%d messages, %d records: %d events, %d duplicates, %v bots (%d keys written twice), %d dead letters, %d late for sessions, %d session rows, in %.1fs",
		messages, sum.InputRecords, sum.Events, sum.Duplicates, sum.Bots, repeated, sum.OutOfRange+sumValues(sum.DeadLetter),
		sum.LateForSessions, sum.Sessions, sum.Seconds)
}

func sumValues(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// startEmulator starts the Pub/Sub emulator on a free port with the
// project's script and stops it when the test ends.
func startEmulator(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	script := filepath.Join("..", "scripts", "pubsub-emulator.sh")
	out, err := exec.Command(script, "start", port).CombinedOutput()
	if err != nil {
		t.Fatalf("start the Pub/Sub emulator: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(script, "stop", port).Run() })
	return "127.0.0.1:" + port
}

// streamingSample generates a day of events (seed, count), publishes it
// (publishSample) and returns the generator's truth and the config of a
// streaming run that reads every message into the local warehouse.
func streamingSample(t *testing.T, seed, events int, project, topic, sub string) ([]groundtruth.Record, Config) {
	t.Helper()
	dir := t.TempDir()
	truth := generateSample(t, dir, "--seed", fmt.Sprint(seed), "--events", fmt.Sprint(events), "--days", "1", "--gzip", "0")
	return truth, publishSample(t, dir, project, topic, sub)
}

// publishSample publishes the sample generated into dir (publishDay) and
// returns the config of a streaming run that reads every message into the
// local warehouse.
func publishSample(t *testing.T, dir, project, topic, sub string) Config {
	t.Helper()
	messages := publishDay(t, project, topic, sub, filepath.Join(dir, "raw", "*", "*"))
	t.Setenv("CLICKSTREAM_E2E_KEY", "e2e-test-key")
	return Config{
		Mode:   schemas.ModeStreaming,
		Output: t.TempDir(),
		PubSub: pubsubsource.ReadOptions{
			Project: project, Subscription: sub, TimestampAttribute: "event_time", MaxMessages: int64(messages),
		},
		HashKeyRef: "env:CLICKSTREAM_E2E_KEY",
		BotIPFile:  filepath.Join(dir, "bot_ip_denylist.txt"),
	}
}

// publishDay creates the topic and subscription and publishes every line of
// the files, in name order, the first 2% held back to the end, so that the
// emulator stores them in that order (one ordering key; the subscription
// does not ask for ordered delivery, which would hold a key's later
// messages until its earlier ones are acknowledged, but the emulator
// delivers in the order it stores); it returns the number of messages.
func publishDay(t *testing.T, project, topic, sub, glob string) int {
	t.Helper()
	ctx := context.Background()
	client, err := pubsub.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	topicName := "projects/" + project + "/topics/" + topic
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topicName}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: "projects/" + project + "/subscriptions/" + sub, Topic: topicName, AckDeadlineSeconds: 60,
	}); err != nil {
		t.Fatal(err)
	}
	lines, held := sampleLines(t, glob)
	order := append(lines[held:len(lines):len(lines)], lines[:held]...)
	pub := client.Publisher(topicName)
	// One ordering key keeps the publish order: without one the client
	// sends its batches of 100 concurrently, and batches overtaking each
	// other reached the emulator up to 3,000 messages (13 hours of the day)
	// out of order, behind the reader's watermark, where the checks below
	// expect only the held-back messages.
	pub.EnableMessageOrdering = true
	defer pub.Stop()
	var results []*pubsub.PublishResult
	for _, line := range order {
		var v struct {
			ReceivedAt string `json:"received_at"`
		}
		attrs := map[string]string{}
		if json.Unmarshal(line, &v) == nil && v.ReceivedAt != "" {
			attrs["event_time"] = v.ReceivedAt
		}
		results = append(results, pub.Publish(ctx, &pubsub.Message{Data: line, Attributes: attrs, OrderingKey: "replay"}))
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return len(order)
}

// sampleLines returns the non-blank lines of the files of glob, in name
// order, and how many of the first ones publishDay holds back to the end
// (2%).
func sampleLines(t *testing.T, glob string) (lines [][]byte, held int) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) != "" {
				lines = append(lines, bytes.Clone(sc.Bytes()))
			}
		}
	}
	return lines, len(lines) / 50
}

// repairedByBatch runs the batch pipeline over the same day into the
// streaming run's warehouse, as the daily batch does: it replaces the
// streamed partitions whole, so fact_sessions then holds exactly the truth's
// sessions (no fragments, versions or late-dropped events) and fact_events
// no repeated copy.
func repairedByBatch(t *testing.T, streamed Config, streamRun, dir string, truth []groundtruth.Record) {
	t.Helper()
	sum, err := Run(context.Background(), Config{
		Input: []string{filepath.Join(dir, "raw", "*", "*")}, Output: streamed.Output,
		HashKeyRef: streamed.HashKeyRef, BotIPFile: streamed.BotIPFile, Shards: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Reconciled {
		t.Fatalf("batch run over the streamed day not reconciled: %v", sum.Problems)
	}
	sessions := map[string]bool{}
	for _, r := range truth {
		if r.Outcome == "event" {
			sessions[r.Session] = true
		}
	}
	// dead_letter is left out: a record without a usable received_at is
	// dated by its arrival, which for the replayed day is today's publish
	// date in streaming but the file's date in batch.
	for _, table := range []string{"fact_events", "fact_sessions", "bot_events"} {
		n, err := warehouse.CountAppended(streamed.Output, streamRun, table)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d streamed rows survive the batch run", table, n)
		}
	}
	rows, err := warehouse.ReadRows[schemas.Session](streamed.Output, "fact_sessions", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(sessions) {
		t.Errorf("after the batch run fact_sessions holds %d rows, truth has %d sessions", len(rows), len(sessions))
	}
	if sum.Events != int64(countOutcome(truth, "event")) {
		t.Errorf("after the batch run fact_events holds %d rows, truth %d", sum.Events, countOutcome(truth, "event"))
	}
}

func countOutcome(truth []groundtruth.Record, outcome string) int {
	n := 0
	for _, r := range truth {
		if r.Outcome == outcome {
			n++
		}
	}
	return n
}

// TestUnackedProblem words what a run leaves unacknowledged: per reason,
// the count and at most ten message ids.
func TestUnackedProblem(t *testing.T) {
	var unacked []pubsubsource.Unacked
	for i := range 12 {
		unacked = append(unacked, pubsubsource.Unacked{MessageID: fmt.Sprint(i), Reason: pubsubsource.ReasonRowsUnconfirmed})
	}
	unacked = append(unacked, pubsubsource.Unacked{MessageID: "x", Reason: pubsubsource.ReasonLeaseGivenUp})
	want := "13 messages left unacknowledged for redelivery: " +
		"1 because " + pubsubsource.ReasonLeaseGivenUp + " (message ids x); " +
		"12 because " + pubsubsource.ReasonRowsUnconfirmed + " (message ids 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more)"
	if got := unackedProblem(unacked); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
