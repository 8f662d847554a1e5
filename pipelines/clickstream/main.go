// Command clickstream is the clickstream pipeline: raw events in, a
// partitioned star schema out. It is one flag-based binary because Beam
// re-executes it as the worker on remote runners.
//
//	clickstream --input='data/raw/*/*.jsonl*' --output=warehouse
//
// Run it with --help for every flag.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/files"
	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/pipelines"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/abandonment"
	"github.com/example/clickstream/transforms/bydevice"
	"github.com/example/clickstream/transforms/sessionize"
)

var (
	mode         = flag.String("mode", schemas.ModeBatch, "batch: read files (--input). streaming: read Pub/Sub (--subscription or --topic) and write rows as they come.")
	input        = flag.String("input", "", "Comma-separated file globs to read: local paths or gs:// URLs; files may be gzip-compressed (detected from content). Required.")
	dates        = flag.String("dates", "", "Event dates the run owns and replaces, e.g. 2026-11-01 or 2026-11-01..2026-11-07. Default: every date in the input (see README, Run scope).")
	output       = flag.String("output", "warehouse", "Local warehouse directory (Hive-partitioned Parquet).")
	runID        = flag.String("run_id", "", "Run id (staging and summary names). Default: UTC time plus a random suffix.")
	maxRec       = flag.Int("max_record_bytes", files.DefaultMaxRecordBytes, "Longest accepted line in bytes; longer lines are dead-lettered as too_large.")
	maxFileB     = flag.Int64("max_file_bytes", files.DefaultMaxFileBytes, "Most bytes read from one file, decompressed (1 GiB: ten times the archive's 100 MB files, far below what a small gzip bomb expands to); the rest of a larger file is one file_too_large dead letter recording the bytes skipped.")
	maxFileN     = flag.Int64("max_file_records", files.DefaultMaxFileRecords, "Most input records read from one file (a beacon counts its events); the rest is one file_too_large dead letter. 4M is what 1 GiB holds at 256 bytes a record; real events are larger, so only malformed floods of tiny records reach it.")
	hashKey      = flag.String("hash_key", "env:CLICKSTREAM_HASH_KEY", "Where the pseudonymization key is: env:NAME or file:PATH. The key itself never goes into flags or the job graph.")
	ipMode       = flag.String("ip_mode", "truncate", "How IPs are stored: truncate (IPv4 /24, IPv6 /48), hash (keyed HMAC) or raw.")
	domains      = flag.String("internal_domains", "", "Comma-separated domains of the site itself (with subdomains); referrers from them are (direct) traffic, as GA4 treats self-referrals. The page's own host always is.")
	geoDB        = flag.String("geo_db", "", "Comma-separated IP geolocation databases (MaxMind DB files laid out like @ip-location-db's, e.g. DB-IP city lite's IPv4 and IPv6 files; local paths or gs:// URLs) for geo_country, geo_region, geo_city and geo_continent. Empty: those columns are NULL. scripts/fetch-geo-db.sh fetches DB-IP's.")
	erasureReqs  = flag.String("erasure_requests", "", "Erasure requests whose people's and devices' events are dropped after parse, counted as erased and written nowhere: a local warehouse directory (its erasure_requests table, filed by tools/erase), a requests file (JSON lines as tools/erase reads them; user_ids hashed with --hash_key), or bigquery (the erasure_requests table of --bq_dataset; the only form on Dataflow). Empty: nothing is erased.")
	erasureEvery = flag.Duration("erasure_refresh", pipelines.DefaultErasureRefresh, "Streaming: how often the erasure requests are read again; a request reaches the stream at most this long after it is filed.")
	botUA        = flag.String("bot_ua_file", "", "File of extra bot user-agent patterns (RE2, one per line, # comments), added to the built-in crawler list.")
	botIP        = flag.String("bot_ip_file", "", "File of IPs/CIDRs whose traffic is bot traffic (one per line, # comments).")
	rateN        = flag.Int("bot_rate_limit", 200, "A device sending more than this many events within --bot_rate_window is a bot for that UTC day.")
	rateW        = flag.Duration("bot_rate_window", time.Minute, "Window of the rate rule: any half-open interval [t, t+window).")
	shards       = flag.Int("shards", 512, "Device groups in the per-device stage; each group is held in memory by one worker, so keep events/shards under ~1M (e.g. 1024 for a 600M-event day).")
	rounds       = flag.Int("device_rounds", 16, "Local batch runs: the per-device stage runs as this many stages (at most --shards), each grouping 1/N of the device groups, as many at once as there are cores, so that the local runner holds that share of the shuffle at a time instead of all of it (see README, Performance: it halves the peak of a 1M-record run, and adds about a second to a small one). 1: one stage. Dataflow always runs one.")
	gap          = flag.Duration("session_gap", sessionize.DefaultGap, "Inactivity that ends a session: an event this long or longer after the previous one starts a new session.")
	maxLen       = flag.Duration("max_session_length", sessionize.DefaultMaxLength, "Longest session; longer ones (devices that never pause) are cut at every multiple of it since the Unix epoch (UTC midnights at 24h) and flagged is_runaway.")
	stitch       = flag.Duration("stitch_window", dimensions.DefaultStitchWindow, "Anonymous sessions of a device resolve to the user of its first login if that login comes at most this long after them (see README, Identity).")
	pageTypes    = flag.String("page_types_file", "", "File (local path or gs:// URL) of page-type rules for dim_pages (\"<type> <RE2 on the path>\" per line, first match wins), replacing the built-in ones; read and checked before the run starts.")
	rebuild      = flag.Bool("rebuild_dimensions", false, "Dimension step: recompute every date's state and every dimension row from the facts, and resolve every session again, instead of bringing them up to date from the run's dates (repairs, e.g. after the models' rules changed; see README, How the dimensions are built).")
	sub          = flag.String("subscription", "", "Streaming: the Pub/Sub subscription to read, an id in --project or projects/P/subscriptions/S. Honours PUBSUB_EMULATOR_HOST.")
	topic        = flag.String("topic", "", "Streaming without --subscription: create a subscription on this topic for the run (development; production reads Terraform's subscription).")
	tsAttr       = flag.String("timestamp_attribute", "", "Streaming: message attribute holding the event time (RFC 3339 or Unix ms) for the reader's watermark. Default: the publish time.")
	maxMsgs      = flag.Int64("max_messages", 0, "Streaming on the local runner: stop reading after this many messages, flush every window and exit (0: no limit).")
	maxDur       = flag.Duration("max_duration", 0, "Streaming on the local runner: stop reading after this long, flush every window and exit (0: no limit).")
	abandonAfter = flag.Duration("abandon_after", abandonment.DefaultAfter, "Streaming: how long (event time) a device with an open cart must be quiet for a cart_abandonment trigger.")
	abandonTopic = flag.String("abandonment_topic", "", "Streaming: also publish cart_abandonment rows to this topic (id or projects/P/topics/T) as JSON with a trigger_id attribute (empty: no publish).")
	anomalyTopic = flag.String("anomaly_topic", "", "Streaming: also publish live_anomalies rows to this topic as JSON with an anomaly_id attribute (empty: no publish).")
	liveEvery    = flag.Duration("live_early_every", 0, "Streaming on Dataflow: fire the windows of live_funnel_10m, live_products_1h and live_search_1h early every this much processing time (0 = early by event count; leave 0 on Prism).")
	dedupH       = flag.Duration("dedup_horizon", bydevice.DefaultDedupHorizon, "Streaming: how long (event time after a device's newest event) its event ids are kept for deduplication; state is ~100 B per id.")
	sink         = flag.String("sink", pipelines.SinkLocal, "Where rows go: local (the --output warehouse) or bigquery (--bq_project, --bq_dataset; batch also --dates and --temp_location).")
	bqProject    = flag.String("bq_project", "", "BigQuery sink: the project of the dataset.")
	bqDataset    = flag.String("bq_dataset", "", "BigQuery sink: the dataset holding the tables of schemas/tables (Terraform creates them).")
	bqCreate     = flag.Bool("create_tables", false, "BigQuery sink: create missing tables from schemas/tables (development projects; in production Terraform owns them). Existing tables are always checked against their definitions.")
	progress     = flag.Duration("progress_interval", 5*time.Second, "Batch on the local runner: print a progress line to stderr this often (elapsed time, stage, records read, files done of total); 0 disables. On Dataflow, progress is the Dataflow console's.")
	cpuProf      = flag.String("cpuprofile", "", "Write a CPU profile (pprof) of the whole process to this file: the pipeline and, on the local runner, Prism, which runs in-process.")
	memProf      = flag.String("memprofile", "", "Write the process's allocations (pprof, go tool pprof -sample_index=alloc_space) to this file when the run ends.")
	lateness     = flag.Duration("allowed_lateness", sessionize.DefaultAllowedLateness, "How late an event may arrive and still update its session in streaming (session windows); batch re-reads the lateness horizon instead (see README, Run scope).")
)

func main() {
	flag.Usage = usage
	flag.Parse()
	beam.Init()

	c, err := config()
	if err != nil {
		fmt.Fprintf(os.Stderr, "clickstream: %v\nRun with --help for the flags.\n", err)
		os.Exit(2)
	}
	stop, err := startProfiles(*cpuProf, *memProf)
	if err != nil {
		fmt.Fprintf(os.Stderr, "clickstream: %v\n", err)
		os.Exit(2)
	}
	sum, err := pipelines.Run(context.Background(), c)
	stop()
	if err != nil {
		slog.Error("run failed", "err", err)
		os.Exit(1)
	}
	if sum == nil {
		slog.Info("job handed to Dataflow (printed only, with --dry_run)")
		return
	}
	sum.Print(os.Stdout)
	if !sum.Reconciled {
		os.Exit(3)
	}
}

func config() (pipelines.Config, error) {
	owned, err := schemas.ParseDates(*dates)
	if err != nil {
		return pipelines.Config{}, err
	}
	remote := flagValue("runner") == "dataflow"
	return pipelines.Config{
		Mode:  *mode,
		Input: splitList(*input),
		PubSub: pubsubsource.ReadOptions{
			Project: flagValue("project"), Subscription: *sub, TimestampAttribute: *tsAttr,
			MaxRecordBytes: *maxRec, MaxMessages: *maxMsgs, MaxDuration: *maxDur,
			Native: remote,
		},
		Remote: remote,
		DryRun: flagValue("dry_run") == "true",
		Sink:   *sink,
		BigQuery: pipelines.BigQuery{
			Project: *bqProject, Dataset: *bqDataset, CreateTables: *bqCreate, TempLocation: flagValue("temp_location"),
		},
		Topic:             *topic,
		DedupHorizon:      *dedupH,
		AbandonAfter:      *abandonAfter,
		LiveEarlyEvery:    *liveEvery,
		AbandonmentTopic:  *abandonTopic,
		AnomalyTopic:      *anomalyTopic,
		Dates:             owned,
		Output:            *output,
		RunID:             *runID,
		MaxRecordBytes:    *maxRec,
		MaxFileBytes:      *maxFileB,
		MaxFileRecords:    *maxFileN,
		HashKeyRef:        *hashKey,
		IPMode:            *ipMode,
		InternalDomains:   splitList(*domains),
		GeoDB:             *geoDB,
		ErasureRequests:   *erasureReqs,
		ErasureRefresh:    *erasureEvery,
		BotUserAgentFile:  *botUA,
		BotIPFile:         *botIP,
		BotRateLimit:      *rateN,
		BotRateWindow:     *rateW,
		Shards:            *shards,
		DeviceRounds:      *rounds,
		Sessions:          sessionize.Options{Gap: *gap, MaxLength: *maxLen, AllowedLateness: *lateness},
		StitchWindow:      *stitch,
		PageTypesFile:     *pageTypes,
		RebuildDimensions: *rebuild,
		ProgressInterval:  *progress,
	}, nil
}

// startProfiles starts a CPU profile into cpuPath; the returned function
// stops it and writes the allocation profile into memPath (an empty path:
// no such profile).
func startProfiles(cpuPath, memPath string) (func(), error) {
	stopCPU := func() {}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, fmt.Errorf("cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("cpuprofile: %w", err)
		}
		stopCPU = func() {
			pprof.StopCPUProfile()
			f.Close()
		}
	}
	return func() {
		stopCPU()
		if memPath == "" {
			return
		}
		f, err := os.Create(memPath)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			slog.Error("memprofile not written", "err", err)
		}
	}, nil
}

// flagValue is the value of one of Beam's own flags.
func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// usage lists the pipeline's own flags first; Beam's runner flags follow.
func usage() {
	out := flag.CommandLine.Output()
	fmt.Fprintf(out, "Usage: clickstream --input=GLOB[,GLOB...] [flags]\n"+
		"       clickstream --mode=streaming --project=P --subscription=S [flags]\n\nPipeline flags:\n")
	own := map[string]bool{}
	for _, name := range []string{"mode", "input", "dates", "output", "run_id", "max_record_bytes", "max_file_bytes", "max_file_records", "hash_key", "ip_mode",
		"internal_domains", "geo_db", "erasure_requests", "erasure_refresh", "bot_ua_file", "bot_ip_file", "bot_rate_limit", "bot_rate_window", "shards", "device_rounds",
		"session_gap", "max_session_length", "allowed_lateness", "stitch_window", "page_types_file", "rebuild_dimensions",
		"subscription", "topic", "timestamp_attribute", "max_messages", "max_duration", "dedup_horizon", "abandon_after", "live_early_every", "abandonment_topic", "anomaly_topic",
		"sink", "bq_project", "bq_dataset", "create_tables", "cpuprofile", "memprofile"} {
		own[name] = true
		f := flag.Lookup(name)
		fmt.Fprintf(out, "  --%s (default %q)\n      %s\n", f.Name, f.DefValue, f.Usage)
	}
	fmt.Fprintf(out, "\nRunner flags (Apache Beam): --runner defaults to prism, Beam's local runner.\n")
	flag.VisitAll(func(f *flag.Flag) {
		if !own[f.Name] {
			fmt.Fprintf(out, "  --%s (default %q)\n      %s\n", f.Name, f.DefValue, f.Usage)
		}
	})
}
