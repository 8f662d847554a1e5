package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

// RunStreaming runs the streaming pipeline. With --topic and no
// --subscription it first creates the run's own subscription. On the local
// runner it runs until the reader stops (PubSub.MaxMessages or MaxDuration),
// every window has flushed and every message whose rows were all written is
// acknowledged, then returns and stores the run summary with the per-minute
// reconciliation. A message read but left unacknowledged (its rows not all
// confirmed) is given back to the subscription for redelivery and named,
// with the reason, among the summary's problems. On
// Dataflow (c.Remote) the job runs on until drained: RunStreaming
// returns once it is submitted, with a nil summary; the reconciliation table
// is the job's account.
func RunStreaming(ctx context.Context, c Config) (*Summary, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	if err := c.ensureTables(ctx); err != nil {
		return nil, err
	}
	if c.PubSub.Subscription == "" && !c.DryRun {
		id, err := pubsubsource.CreateSubscription(ctx, c.PubSub, c.Topic, "clickstream-"+c.RunID)
		if err != nil {
			return nil, err
		}
		slog.Info("created subscription", "subscription", id, "topic", c.Topic)
		c.PubSub.Subscription = id
	}
	started := time.Now()
	slog.Info("streaming run starting", "run_id", c.RunID, "subscription", c.PubSub.Subscription, "output", c.Output,
		"max_messages", c.PubSub.MaxMessages, "max_duration", c.PubSub.MaxDuration)

	p, s := beam.NewPipelineWithRoot()
	BuildStreaming(s, c)
	if err := beamx.Run(ctx, p); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if c.Remote {
		return nil, nil
	}
	unacked, err := pubsubsource.GiveBackUnacked(ctx, c.PubSub)
	if err != nil {
		slog.Warn("giving back the leases of unacknowledged messages; they return when the leases lapse", "err", err)
	}

	totals, err := tally.Read(ctx, c.tallyDir())
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(c.tallyDir()); err != nil {
		return nil, fmt.Errorf("remove tallies: %w", err)
	}
	readBack := map[string]int64{}
	for _, table := range []string{"fact_events", "fact_sessions", "bot_events", "dead_letter"} {
		if c.Sink == SinkBigQuery {
			break // the Storage Write API confirmed every row; nothing to read back locally
		}
		if readBack[table], err = warehouse.CountAppended(c.Output, c.RunID, table); err != nil {
			return nil, fmt.Errorf("read back %s: %w", table, err)
		}
	}
	plain, intervals, err := perMinute(totals)
	if err != nil {
		return nil, err
	}
	sum := newSummary(c, nil, plain, readBack, started, time.Now())
	if c.Sink == SinkBigQuery {
		sum.Tables = nil // no local copy to read back: a bundle ends only once BigQuery has its rows
	}
	sum.setStreaming(totals, intervals)
	if len(unacked) > 0 {
		sum.Problems = append(sum.Problems, unackedProblem(unacked))
		sum.Reconciled = false
	}
	if err := sum.Save(c.Output); err != nil {
		return sum, err
	}
	return sum, nil
}

// unackedProblem names the messages a run leaves unacknowledged (at most
// ten ids per reason) and why; Pub/Sub redelivers them.
func unackedProblem(unacked []pubsubsource.Unacked) string {
	byReason := map[string][]string{}
	for _, u := range unacked {
		byReason[u.Reason] = append(byReason[u.Reason], u.MessageID)
	}
	var parts []string
	for _, reason := range sortedKeys(byReason) {
		ids := byReason[reason]
		shown := strings.Join(ids[:min(len(ids), 10)], ", ")
		if len(ids) > 10 {
			shown += fmt.Sprintf(" and %d more", len(ids)-10)
		}
		parts = append(parts, fmt.Sprintf("%d because %s (message ids %s)", len(ids), reason, shown))
	}
	return fmt.Sprintf("%d messages left unacknowledged for redelivery: %s", len(unacked), strings.Join(parts, "; "))
}

// Interval is the reconciliation of one publish minute of a streaming run.
type Interval struct {
	Start        time.Time `json:"start"`
	InputRecords int64     `json:"input_records"`
	// Outcomes is events + duplicates + bots + dead_letter + unwritable.
	Outcomes        int64 `json:"outcomes"`
	LateForSessions int64 `json:"late_for_sessions,omitempty"`
}

// perMinute splits tally.ByMinute totals into totals by detail alone (what
// the batch summary shows) and the per-minute intervals.
func perMinute(t schemas.TallyTotals) (schemas.TallyTotals, []Interval, error) {
	plain := schemas.TallyTotals{}
	byStart := map[time.Time]*Interval{}
	for name, keys := range t {
		for key, n := range keys {
			if name == Messages || name == Acked || name == VisibleLatency || name == Rejected || name == schemas.TallySessions {
				plain.Add(schemas.Tally{Name: name, Key: key, N: n})
				continue
			}
			minute, detail, err := tally.SplitKey(key)
			if err != nil {
				return nil, nil, err
			}
			plain.Add(schemas.Tally{Name: name, Key: detail, N: n})
			iv := byStart[minute]
			if iv == nil {
				iv = &Interval{Start: minute}
				byStart[minute] = iv
			}
			switch name {
			case schemas.TallyInputRecords:
				iv.InputRecords += n
			case schemas.TallyLateForSessions:
				iv.LateForSessions += n
			default:
				iv.Outcomes += n
			}
		}
	}
	out := make([]Interval, 0, len(byStart))
	for _, iv := range byStart {
		out = append(out, *iv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return plain, out, nil
}
