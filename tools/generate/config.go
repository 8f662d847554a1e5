package generate

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Config is what one run generates.
type Config struct {
	Seed   int64
	Events int       // approximate number of events to simulate
	Start  time.Time // first day, midnight UTC
	Days   int
	// HistoryDays simulate the world for that many days before Start
	// without writing what was received then, so that the written days
	// start in steady state (regular visitors already known, some logged
	// in); Events is then the volume of the written days.
	HistoryDays int
	// LifetimeDays, when positive, is the mean of the exponential lifetime
	// after which a returning visitor stops coming back; 0: never.
	LifetimeDays int
	Out          string
	FilesPerDay  int
	Gzip         float64 // fraction of files gzip-compressed
	BadRate      float64 // fraction of records made malformed
	DupRate      float64 // fraction of sends retried
	// Flat, when its length is positive, replaces the daily rhythm: every
	// visit starts at a uniformly drawn time of this window of each day
	// (offsets from midnight).
	Flat Window
	// Spike multiplies the events of this window of the first written day
	// by SpikeFactor with extra one-visit visitors; Outage makes every
	// purchase that would fall in its window fail (the checkout starts,
	// the order is not placed). Both are off when their length is zero and
	// are written to truth_anomalies.json.
	Spike       Window
	SpikeFactor float64
	Outage      Window
}

// Window is a time window of a day: [From, From+Length) after midnight.
type Window struct {
	From, Length time.Duration
}

func (w Window) on() bool { return w.Length > 0 }

// windowFlag reads a Window as "HH:MM+MINUTES" (e.g. "12:10+15").
type windowFlag struct{ w *Window }

func (f windowFlag) String() string {
	if f.w == nil || !f.w.on() {
		return ""
	}
	return fmt.Sprintf("%02d:%02d+%d", int(f.w.From.Hours()), int(f.w.From.Minutes())%60, int(f.w.Length.Minutes()))
}

func (f windowFlag) Set(s string) error {
	at, minutes, ok := strings.Cut(s, "+")
	t, err := time.Parse("15:04", at)
	n, nerr := strconv.Atoi(minutes)
	if !ok || err != nil || nerr != nil || n < 1 || n > 24*60 {
		return fmt.Errorf("want HH:MM+MINUTES, got %q", s)
	}
	*f.w = Window{From: time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, Length: time.Duration(n) * time.Minute}
	return nil
}

// anomalyStream is the preset of --anomaly_stream: flags it sets unless
// they are given too. About 47 accepted events a second at a flat rate from
// 09:30 to 14:40; an hour of steady traffic after the first 2 hours; then
// a x4 spike at 13:00-13:15, whose visits go on until about 14:00, and a
// checkout outage at 14:10-14:30.
var anomalyStream = [][2]string{
	{"events", "1000000"}, {"days", "1"}, {"flat", "09:30+310"},
	{"spike", "13:00+15"}, {"spike_factor", "4"}, {"outage", "14:10+20"},
	{"files_per_day", "1"}, {"gzip", "0"}, {"bad_rate", "0"}, {"dup_rate", "0"},
}

const usageText = `Usage: go run ./tools/generate/cmd/generate --out DIR [flags]

Writes a deterministic synthetic clickstream as the collector lands it
(DIR/raw/dt=YYYY-MM-DD/part-NNN.jsonl[.gz]), the bot IP deny list
(DIR/bot_ip_denylist.txt) and the ground truth for every record
(DIR/truth.jsonl.gz, DIR/truth_summary.json). See tools/generate/README.md.

Flags:
`

// ParseFlags reads a Config from the command's flags (args without the
// program name), writing usage to stderr on --help (flag.ErrHelp) or a bad
// flag. The result is validated.
func ParseFlags(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	var start string
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed; the same seed and flags give byte-identical output")
	fs.IntVar(&cfg.Events, "events", 200000, "approximate number of events to simulate (records land within ~10% of it: retries add, malformed lines remove)")
	fs.StringVar(&start, "start", "2026-11-01", "first simulated day (UTC, YYYY-MM-DD)")
	fs.IntVar(&cfg.Days, "days", 1, "number of simulated days; late beacons and visits past midnight may land on the day after")
	fs.IntVar(&cfg.LifetimeDays, "lifetime_days", 0, "mean number of days a returning visitor keeps coming back (exponential); 0: for ever. With --history_days a few times larger, the written days are stationary")
	fs.IntVar(&cfg.HistoryDays, "history_days", 0, "also simulate this many days before --start, writing nothing received before it, so that the written days start in steady state (returning visitors, known logins); --events counts the written days")
	fs.StringVar(&cfg.Out, "out", "", "output directory (required); earlier generator output in it is replaced")
	fs.IntVar(&cfg.FilesPerDay, "files_per_day", 4, "raw files per received day, each covering an equal slice of the day (1-1000)")
	fs.Float64Var(&cfg.Gzip, "gzip", 0.5, "fraction of raw files written gzip-compressed; one of them is truncated (corrupt_gzip) when --bad_rate > 0")
	fs.Float64Var(&cfg.BadRate, "bad_rate", 0.02, "fraction of records made malformed (each with exactly one dead-letter reason)")
	fs.Float64Var(&cfg.DupRate, "dup_rate", 0.03, "fraction of sends (beacons and single events that carry sent_at) retried later; a tenth of that rate of lines are also written twice by the collector")
	fs.Var(windowFlag{&cfg.Flat}, "flat", "HH:MM+MINUTES: visits start at a flat rate in this window of each day instead of the daily rhythm (bots keep theirs)")
	fs.Var(windowFlag{&cfg.Spike}, "spike", "HH:MM+MINUTES: a traffic spike in this window of the first day (see --spike_factor); truth in truth_anomalies.json")
	fs.Float64Var(&cfg.SpikeFactor, "spike_factor", 4, "events in the --spike window, as a multiple of what they would be")
	fs.Var(windowFlag{&cfg.Outage}, "outage", "HH:MM+MINUTES: a checkout outage in this window of the first day: purchases fail (none is sent), checkouts still start; truth in truth_anomalies.json")
	preset := fs.Bool("anomaly_stream", false, "preset for the anomaly test: sets "+presetText()+" unless given")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	}
	if *preset {
		if err := applyPreset(fs); err != nil {
			return cfg, err
		}
	}
	t, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return cfg, fmt.Errorf("--start: %w", err)
	}
	cfg.Start = t
	return cfg, cfg.validate()
}

func presetText() string {
	var b strings.Builder
	for i, kv := range anomalyStream {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "--%s %s", kv[0], kv[1])
	}
	return b.String()
}

// applyPreset sets the flags of anomalyStream that were not given.
func applyPreset(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, kv := range anomalyStream {
		if given[kv[0]] {
			continue
		}
		if err := fs.Set(kv[0], kv[1]); err != nil {
			return fmt.Errorf("--anomaly_stream: %w", err)
		}
	}
	return nil
}

func (c Config) validate() error {
	switch {
	case c.Out == "":
		return fmt.Errorf("--out is required")
	case c.Events < 1:
		return fmt.Errorf("--events must be positive")
	case c.Days < 1 || c.Days > 366:
		return fmt.Errorf("--days must be in [1, 366]")
	case c.HistoryDays < 0 || c.HistoryDays > 366:
		return fmt.Errorf("--history_days must be in [0, 366]")
	case c.LifetimeDays < 0:
		return fmt.Errorf("--lifetime_days must not be negative")
	case c.FilesPerDay < 1 || c.FilesPerDay > 1000:
		return fmt.Errorf("--files_per_day must be in [1, 1000]")
	case c.Gzip < 0 || c.Gzip > 1:
		return fmt.Errorf("--gzip must be in [0, 1]")
	case c.BadRate < 0 || c.BadRate > 0.5:
		return fmt.Errorf("--bad_rate must be in [0, 0.5]")
	case c.DupRate < 0 || c.DupRate > 1:
		return fmt.Errorf("--dup_rate must be in [0, 1]")
	case c.Spike.on() && c.SpikeFactor < 1:
		return fmt.Errorf("--spike_factor must be at least 1")
	case c.Flat.on() && c.Flat.From+c.Flat.Length > 24*time.Hour:
		return fmt.Errorf("--flat must end by midnight")
	case c.Start.Year() < 2001 || c.Start.Year() > 2098:
		return fmt.Errorf("--start must lie in 2001-2098")
	}
	return nil
}
