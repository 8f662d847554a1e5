package pipelines

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/sessionize"
)

// Config is everything a run needs; main fills it from flags, tests directly.
type Config struct {
	// Mode is schemas.ModeBatch (files) or schemas.ModeStreaming (Pub/Sub).
	Mode string
	// Input are the file globs to read (local paths or gs:// URLs).
	Input []string
	// PubSub is the subscription a streaming run reads, and its stop
	// conditions for local runs.
	PubSub pubsubsource.ReadOptions
	// Topic, in streaming without PubSub.Subscription, is the topic to
	// create the run's own subscription on.
	Topic string
	// DedupHorizon bounds the event ids streaming dedup holds per device.
	DedupHorizon time.Duration
	// Dates are the event dates the run owns; empty means every date in the
	// input.
	Dates []time.Time
	// Output is the local warehouse directory (and, with the BigQuery sink,
	// where the run's summary and tallies go).
	Output string
	// Remote is true when the job runs on Dataflow: the driver submits it
	// and returns (with --execute_async at once), so there is no local
	// commit, read-back or summary; the BigQuery sink and the Pub/Sub
	// reader's native mode are required.
	Remote bool
	// DryRun builds and prints the job (Dataflow's --dry_run) without
	// touching any service: no table checks, no subscription created.
	DryRun bool
	// Sink is SinkLocal (the local warehouse) or SinkBigQuery.
	Sink string
	// BigQuery configures the BigQuery sink.
	BigQuery BigQuery
	// RunID names the run (staging, summary); empty means a fresh one.
	RunID string

	// MaxRecordBytes is the line-size limit of the reader.
	MaxRecordBytes int
	// MaxFileBytes and MaxFileRecords cap the decompressed bytes and the
	// input records the reader takes from one file (files.DefaultMaxFileBytes
	// and files.DefaultMaxFileRecords if 0).
	MaxFileBytes   int64
	MaxFileRecords int64
	// HashKeyRef is where the pseudonymization key is, e.g.
	// env:CLICKSTREAM_HASH_KEY or file:/path.
	HashKeyRef string
	// IPMode is truncate, hash or raw.
	IPMode string
	// InternalDomains are the site's own domains: referrers from them are
	// (direct) traffic.
	InternalDomains []string
	// GeoDB names the IP geolocation databases (enrich.Options.GeoDB);
	// empty leaves the geo columns NULL.
	GeoDB string

	// ErasureRequests is where the erasure requests are (erasure.Lookup's
	// Requests: a local warehouse directory, a requests file, or
	// erasure.OnBigQuery for the BigQuery dataset's erasure_requests);
	// empty erases nothing. The events of the people and devices they name
	// are counted erased and written nowhere.
	ErasureRequests string
	// ErasureRefresh is how often a streaming run reads the requests again
	// (DefaultErasureRefresh if 0): the longest a request takes to reach
	// the stream.
	ErasureRefresh time.Duration

	// BotUserAgentFile and BotIPFile extend the bot filter's user-agent list
	// and give its IP/CIDR deny list.
	BotUserAgentFile string
	BotIPFile        string
	// BotRateLimit events in BotRateWindow make a device-day a bot.
	BotRateLimit  int
	BotRateWindow time.Duration
	// Shards is the number of device groups in the per-device stage.
	Shards int
	// DeviceRounds splits the per-device stage of a local batch run into
	// this many stages, as many at a time as there are cores, so that the
	// local runner holds a share of the shuffle at a time instead of all
	// of it (bydevice.Round). 0 or 1: one stage; Dataflow always runs one.
	DeviceRounds int
	// Sessions are the session rules (gap, maximum length, lateness).
	Sessions sessionize.Options
	// AbandonAfter is how long (event time) a device with an open cart
	// must be quiet for the cart to be abandoned (abandonment.DefaultAfter
	// if 0).
	AbandonAfter time.Duration
	// LiveEarlyEvery makes the windows of live_funnel_10m, live_products_1h
	// and live_search_1h fire early every LiveEarlyEvery of processing time
	// (Dataflow only; 0 fires early by event count, see livewindow.Options).
	LiveEarlyEvery time.Duration
	// AbandonmentTopic and AnomalyTopic, when set, are the topics (in
	// PubSub.Project) that cart_abandonment and live_anomalies rows are
	// also published to, as JSON with a trigger_id or anomaly_id attribute.
	AbandonmentTopic, AnomalyTopic string
	// StitchWindow is how long before a device's first login its anonymous
	// sessions resolve to that user (dimensions.DefaultStitchWindow if 0).
	StitchWindow time.Duration
	// PageTypesFile (a local path or a gs:// URL) replaces the built-in
	// page-type rules of dim_pages; Run reads and checks it before any
	// work, in the launcher on Dataflow, and the rules travel with the job.
	PageTypesFile string
	// RebuildDimensions makes the dimension step recompute every date's
	// state and every dimension row from the facts, and resolve every
	// session again (repairs), instead of bringing them up to date.
	RebuildDimensions bool

	// ProgressInterval is how often a local batch run prints a progress
	// line (elapsed time, stage, records read, files done of total); 0
	// prints none. Progress is where Progress says (os.Stderr if nil).
	ProgressInterval time.Duration
	Progress         io.Writer

	// pageRules are the page-type rules the dimension step takes, loaded
	// by the run's validation pass (check).
	pageRules []schemas.PageTypeRule
}

// withDefaults fills in what was left empty.
func (c Config) withDefaults() Config {
	if c.RunID == "" {
		c.RunID = NewRunID(time.Now())
	}
	if c.Output == "" {
		c.Output = "warehouse"
	}
	if c.BotRateLimit == 0 {
		c.BotRateLimit = 200
	}
	if c.BotRateWindow == 0 {
		c.BotRateWindow = time.Minute
	}
	if c.ErasureRefresh == 0 {
		c.ErasureRefresh = DefaultErasureRefresh
	}
	return c
}

func (c Config) validate() error {
	switch c.Mode {
	case schemas.ModeBatch, "":
		if len(c.Input) == 0 {
			return fmt.Errorf("no input: give --input")
		}
	case schemas.ModeStreaming:
		if c.PubSub.Subscription == "" && c.Topic == "" {
			return fmt.Errorf("streaming needs --subscription or --topic")
		}
		if c.PubSub.Project == "" && !strings.HasPrefix(c.PubSub.Subscription, "projects/") {
			return fmt.Errorf("streaming needs --project (or a full subscription name projects/P/subscriptions/S)")
		}
	default:
		return fmt.Errorf("unknown --mode %q: want %s or %s", c.Mode, schemas.ModeBatch, schemas.ModeStreaming)
	}
	if err := c.Sessions.Validate(); err != nil {
		return err
	}
	if c.DeviceRounds < 0 {
		return fmt.Errorf("--device_rounds %d: want 1 or more", c.DeviceRounds)
	}
	if err := c.validateSink(); err != nil {
		return err
	}
	if c.Mode != schemas.ModeStreaming && c.Sink != SinkBigQuery {
		if err := checkLocalEngine(); err != nil {
			return err
		}
	}
	if c.HashKeyRef == "" {
		return fmt.Errorf("no hash key reference: give --hash_key")
	}
	switch {
	case c.ErasureRequests == erasure.OnBigQuery && c.Sink != SinkBigQuery:
		return fmt.Errorf("--erasure_requests=%s needs --sink=%s", erasure.OnBigQuery, SinkBigQuery)
	case c.ErasureRequests != "" && c.ErasureRequests != erasure.OnBigQuery && c.Remote:
		return fmt.Errorf("--erasure_requests=%s: Dataflow workers cannot read a local path; give %s", c.ErasureRequests, erasure.OnBigQuery)
	}
	return nil
}

// DefaultErasureRefresh is how often a streaming run reads the erasure
// requests again.
const DefaultErasureRefresh = 5 * time.Minute

// NewRunID returns a sortable, unique run id such as 20261124T063000Z-1a2b3c4d.
func NewRunID(now time.Time) string {
	return now.UTC().Format("20060102T150405Z") + "-" + uuid.NewString()[:8]
}

// pageTypes loads the page-type rules (enrich.LoadPageTypes: PageTypesFile,
// else the built-in ones) as the dimension step takes them.
func (c Config) pageTypes(ctx context.Context) ([]schemas.PageTypeRule, error) {
	types, err := enrich.LoadPageTypes(ctx, c.PageTypesFile)
	if err != nil {
		return nil, err
	}
	return types.Rules(), nil
}

// tallyDir is where the pipeline writes a run's tallies; the driver sums
// them into the run summary and removes them.
func (c Config) tallyDir() string {
	return filepath.Join(c.Output, "_runs", c.RunID+".tallies")
}
