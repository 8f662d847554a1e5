package pipelines

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

// Summary is the account of one run, stored as <output>/_runs/<run_id>.json.
type Summary struct {
	RunID    string    `json:"run_id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Seconds  float64   `json:"seconds"`
	// PeakRSSMB is the process's peak resident memory (Linux only; the local
	// runner runs in the same process, so it covers the whole run).
	PeakRSSMB  int64    `json:"peak_rss_mb,omitempty"`
	Input      []string `json:"input"`
	OwnedDates []string `json:"owned_dates"`

	// GeoDB is the run's --geo_db: without it the geo columns are NULL.
	GeoDB string `json:"geo_db,omitempty"`

	InputRecords int64            `json:"input_records"`
	Events       int64            `json:"events"`
	Duplicates   int64            `json:"duplicates"`
	Bots         map[string]int64 `json:"bots"`
	DeadLetter   map[string]int64 `json:"dead_letter"`
	OutOfRange   int64            `json:"out_of_range"`
	// Unwritable are the records whose row BigQuery refused, and then their
	// fallback dead letter too: acknowledged, logged, in no table.
	Unwritable int64 `json:"unwritable,omitempty"`
	// Rejected are the rows BigQuery refused in streaming, by table (and
	// RefusedFallback: fallback dead letters refused too). Their records are
	// counted where they ended: dead_letter/bigquery_rejected, or
	// unwritable.
	Rejected map[string]int64 `json:"bigquery_rejected,omitempty"`
	// FailedLoads are the partitions whose BigQuery load job failed for
	// good, with BigQuery's error: they hold what they held before the run.
	FailedLoads []string `json:"failed_loads,omitempty"`
	// Sessions is the number of fact_sessions rows the run wrote.
	Sessions int64 `json:"sessions"`
	// Dimensions are the rows of the dimension tables after the dimension
	// step, DimensionDates the dates it processed (the run's and those
	// still pending), DevicesTouched and DevicesRecomputed the devices whose
	// rows it brought up to date and, of those, the ones recomputed from all
	// their state, and SessionsRewritten the fact_sessions partitions (of
	// this or earlier runs) whose resolved_user_key it changed.
	// DimensionStepError says why the step failed: the run's dates stay
	// pending for the next step.
	Dimensions         map[string]int `json:"dimensions,omitempty"`
	DimensionDates     []string       `json:"dimension_dates,omitempty"`
	DevicesTouched     int64          `json:"devices_touched,omitempty"`
	DevicesRecomputed  int64          `json:"devices_recomputed,omitempty"`
	SessionsRewritten  []string       `json:"sessions_rewritten,omitempty"`
	DimensionStepError string         `json:"dimension_step_error,omitempty"`

	// Tables holds, per table, the rows counted by the pipeline and the rows
	// read back from the committed partitions.
	Tables map[string]TableCheck `json:"tables"`
	// Partitions are every partition the run wrote (the facts it replaced,
	// then what the dimension step wrote), with the rows counted for it and
	// read back, and on BigQuery the job that wrote it: the rows of
	// run_partitions.
	Partitions []PartitionCheck `json:"partitions,omitempty"`
	// Streaming runs only: the messages read and acknowledged, the events
	// too late for their session windows (also counted under events), and
	// the reconciliation per publish minute.
	Mode            string     `json:"mode"`
	Messages        int64      `json:"messages,omitempty"`
	Acked           int64      `json:"acked,omitempty"`
	LateForSessions int64      `json:"late_for_sessions,omitempty"`
	Intervals       []Interval `json:"intervals,omitempty"`
	// VisibleP50 and VisibleP99 are the publish -> fact_events visible
	// latency (within 10%).
	VisibleP50 time.Duration `json:"visible_p50_ns,omitempty"`
	VisibleP99 time.Duration `json:"visible_p99_ns,omitempty"`

	// Reconciled is true only if input_records equals the sum of the
	// outcomes and every table holds exactly the rows counted for it (in
	// streaming also: every minute balances and every message read was
	// acknowledged).
	Reconciled bool `json:"reconciled"`
	// Problems says why a run is not reconciled.
	Problems []string `json:"problems,omitempty"`
	// Stages are how long the driver's phases took: the pipeline, then on
	// the local warehouse the commit, dimension step, read-back and account
	// (with the BigQuery sink the job does those itself, inside the
	// pipeline).
	Stages []StageTiming `json:"stages,omitempty"`
}

// TableCheck compares a table's counted and stored rows.
type TableCheck struct {
	Counted  int64 `json:"counted"`
	ReadBack int64 `json:"read_back"`
}

// PartitionCheck is what the run did to one partition of one table (the
// zero Date for an unpartitioned table).
type PartitionCheck struct {
	Table string    `json:"table"`
	Date  time.Time `json:"date,omitzero"`
	// Status is schemas.PartitionWritten, PartitionEmptied (it holds no
	// rows), PartitionPending (state_dates of a date whose dimension step
	// failed) or PartitionFailed (its BigQuery load job failed).
	Status string `json:"status"`
	// Counted are the rows the pipeline counted for it; nil for rows the
	// warehouse derived (dimension step).
	Counted *int64 `json:"counted,omitempty"`
	// ReadBack are the rows it holds after the run (none counted for a
	// failed partition, which holds what it held before).
	ReadBack int64 `json:"read_back"`
	// JobID and Attempt name the BigQuery job that wrote the partition, or
	// failed to (AttemptID); Error is why it failed. Empty on the local
	// warehouse.
	JobID   string `json:"job_id,omitempty"`
	Attempt *int64 `json:"attempt,omitempty"`
	Error   string `json:"error,omitempty"`
}

// settle gives a partition written by the run, whose rows are read back,
// its status: written, or emptied when it holds no rows. A status already
// decided (pending, failed) stays.
func (p *PartitionCheck) settle() {
	if p.Status != "" {
		return
	}
	p.Status = schemas.PartitionWritten
	if p.ReadBack == 0 {
		p.Status = schemas.PartitionEmptied
	}
}

// newSummary builds a run's summary, once, from its totals and what its
// sink found it wrote, and reconciles it. In streaming the totals are per
// publish minute (tally.ByMinute), and the summary shows them per minute
// too (Intervals).
func newSummary(c Config, totals schemas.TallyTotals, w written, started, finished time.Time) (*Summary, error) {
	t := totals
	var intervals []Interval
	if c.Mode == ModeStreaming {
		var err error
		if t, intervals, err = perMinute(totals); err != nil {
			return nil, err
		}
	}
	s := &Summary{
		RunID:        c.RunID,
		Started:      started.UTC(),
		Finished:     finished.UTC(),
		Seconds:      finished.Sub(started).Seconds(),
		PeakRSSMB:    peakRSSMB(),
		Mode:         c.Mode,
		Input:        c.Input,
		GeoDB:        c.GeoDB,
		InputRecords: t.Sum(schemas.TallyInputRecords),
		Events:       t.Sum(schemas.TallyEvents),
		Duplicates:   t.Sum(schemas.TallyDuplicates),
		Bots:         t.ByKey(schemas.TallyBots),
		DeadLetter:   t.ByKey(schemas.TallyDeadLetter),
		OutOfRange:   t.Sum(schemas.TallyOutOfRange),
		Unwritable:   t.Sum(schemas.TallyUnwritable),
		Sessions:     t.Sum(schemas.TallySessions),
		FailedLoads:  sortedKeys(t[LoadFailed]),
		Partitions:   w.partitions,
	}
	if rejected := t.ByKey(Rejected); len(rejected) > 0 {
		s.Rejected = rejected
	}
	for _, d := range w.owned {
		s.OwnedDates = append(s.OwnedDates, d.Format(time.DateOnly))
	}
	counted := map[string]int64{
		"fact_events": s.Events, "fact_sessions": s.Sessions, "bot_events": sum(s.Bots), "dead_letter": sum(s.DeadLetter),
	}
	if c.Mode == ModeStreaming {
		s.Input = []string{"pubsub"}
		s.Messages = t.Sum(Messages)
		s.Acked = t.Sum(Acked)
		s.LateForSessions = t.Sum(schemas.TallyLateForSessions)
		s.Intervals = intervals
		s.VisibleP50 = tally.Percentile(t[VisibleLatency], 0.5)
		s.VisibleP99 = tally.Percentile(t[VisibleLatency], 0.99)
		if len(w.unacked) > 0 {
			s.Problems = append(s.Problems, unackedProblem(w.unacked))
		}
		if w.tables != nil { // else nothing to read back
			s.Tables = map[string]TableCheck{}
			for table, n := range counted {
				s.Tables[table] = TableCheck{Counted: n, ReadBack: w.tables[table]}
			}
		}
	} else {
		s.Tables = map[string]TableCheck{}
		for table, n := range counted {
			tc := TableCheck{Counted: n}
			for _, p := range w.partitions {
				if p.Table == table && p.Counted != nil {
					tc.ReadBack += p.ReadBack
				}
			}
			s.Tables[table] = tc
		}
		if w.stepErr != nil {
			s.DimensionStepError = w.stepErr.Error()
		} else {
			s.setDimensions(w.dims)
		}
	}
	s.reconcile()
	return s, nil
}

// setDimensions records what the dimension step did.
func (s *Summary) setDimensions(res dimensions.Result) {
	s.Dimensions = map[string]int{
		"dim_device_users": int(res.DeviceUsers), "dim_devices": int(res.Devices), "dim_users": int(res.Users), "dim_pages": int(res.Pages),
	}
	for _, d := range res.Dates {
		s.DimensionDates = append(s.DimensionDates, d.Format(time.DateOnly))
	}
	s.DevicesTouched, s.DevicesRecomputed = res.Touched, res.Recomputed
	for _, r := range res.Rewritten {
		s.SessionsRewritten = append(s.SessionsRewritten,
			fmt.Sprintf("%s (%d of %d sessions resolved anew)", r.Date.Format(time.DateOnly), r.Changed, r.Rows))
	}
}

// checkedByPartition reports whether table's rows are checked partition by
// partition (Partitions).
func (s *Summary) checkedByPartition(table string) bool {
	return slices.ContainsFunc(s.Partitions, func(p PartitionCheck) bool { return p.Table == table && p.Counted != nil })
}

func (s *Summary) reconcile() {
	outcomes := s.Events + s.Duplicates + sum(s.Bots) + sum(s.DeadLetter) + s.OutOfRange + s.Unwritable
	if outcomes != s.InputRecords {
		s.Problems = append(s.Problems, fmt.Sprintf(
			"input_records %d != events + duplicates + bots + dead_letter + out_of_range + unwritable = %d (%+d)",
			s.InputRecords, outcomes, outcomes-s.InputRecords))
	}
	for _, f := range s.FailedLoads {
		s.Problems = append(s.Problems, "load failed: "+f)
	}
	for _, name := range sortedKeys(s.Tables) {
		if c := s.Tables[name]; c.Counted != c.ReadBack && !s.checkedByPartition(name) {
			s.Problems = append(s.Problems, fmt.Sprintf("%s: counted %d rows, read back %d", name, c.Counted, c.ReadBack))
		}
	}
	for _, p := range s.Partitions {
		// A failed partition's problem is its failed load (FailedLoads).
		if p.Counted != nil && *p.Counted != p.ReadBack && p.Status != schemas.PartitionFailed {
			s.Problems = append(s.Problems, fmt.Sprintf("%s %s: counted %d rows, read back %d",
				p.Table, p.Date.Format(time.DateOnly), *p.Counted, p.ReadBack))
		}
	}
	if s.DimensionStepError != "" {
		s.Problems = append(s.Problems, "dimension step failed, its dates stay pending: "+s.DimensionStepError)
	}
	for _, iv := range s.Intervals {
		if iv.InputRecords != iv.Outcomes {
			s.Problems = append(s.Problems, fmt.Sprintf("minute %s: input_records %d != outcomes %d",
				iv.Start.Format(time.RFC3339), iv.InputRecords, iv.Outcomes))
		}
	}
	if s.Mode == ModeStreaming && s.Acked != s.Messages {
		s.Problems = append(s.Problems, fmt.Sprintf("messages read %d, acknowledged %d", s.Messages, s.Acked))
	}
	s.Reconciled = len(s.Problems) == 0
}

// Save writes the summary to <output>/_runs/<run_id>.json.
func (s *Summary) Save(output string) error {
	dir := filepath.Join(output, "_runs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save summary: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save summary: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, s.RunID+".json"), append(b, '\n'), 0o644)
}

// LoadSummary reads the summary of run runID that Save stored under
// output.
func LoadSummary(output, runID string) (*Summary, error) {
	b, err := os.ReadFile(filepath.Join(output, "_runs", runID+".json"))
	if err != nil {
		return nil, fmt.Errorf("load summary: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("load summary %s: %w", runID, err)
	}
	return &s, nil
}

// Print writes the summary as a readable table.
func (s *Summary) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(name string, n int64, note string) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t\n", name, n, note)
	}
	fmt.Fprintf(w, "\nRun %s: %s in %.1fs", s.RunID, strings.Join(s.OwnedDates, ", "), s.Seconds)
	if s.Seconds > 0 {
		fmt.Fprintf(w, " (%.0f records/s)", float64(s.InputRecords)/s.Seconds)
	}
	if s.PeakRSSMB > 0 {
		fmt.Fprintf(w, ", peak memory %d MB", s.PeakRSSMB)
	}
	fmt.Fprintln(w)
	row("input_records", s.InputRecords, "")
	row("events", s.Events, pct(s.Events, s.InputRecords))
	row("duplicates", s.Duplicates, pct(s.Duplicates, s.InputRecords))
	row("bots", sum(s.Bots), pct(sum(s.Bots), s.InputRecords))
	for _, k := range sortedKeys(s.Bots) {
		row("  "+k, s.Bots[k], "")
	}
	row("dead_letter", sum(s.DeadLetter), pct(sum(s.DeadLetter), s.InputRecords))
	for _, k := range sortedKeys(s.DeadLetter) {
		row("  "+k, s.DeadLetter[k], "")
	}
	row("out_of_range", s.OutOfRange, pct(s.OutOfRange, s.InputRecords))
	if s.Unwritable > 0 {
		row("unwritable", s.Unwritable, "refused by BigQuery with their fallback dead letter")
	}
	row("sessions", s.Sessions, "")
	if len(s.Rejected) > 0 {
		row("bigquery_rejected", sum(s.Rejected), "rows refused; their records counted where they ended")
		for _, k := range sortedKeys(s.Rejected) {
			row("  "+k, s.Rejected[k], "")
		}
	}
	if s.Mode == ModeStreaming {
		row("late_for_sessions", s.LateForSessions, "also in events")
		row("messages", s.Messages, "")
		row("acked", s.Acked, "")
	}
	if s.VisibleP99 > 0 {
		fmt.Fprintf(tw, "publish -> fact_events visible\tp50 %v\tp99 %v\t\n", s.VisibleP50, s.VisibleP99)
	}
	tw.Flush()
	s.printIntervals(w)
	for _, name := range sortedKeys(s.Tables) {
		c := s.Tables[name]
		fmt.Fprintf(w, "table %-12s counted %d, read back %d\n", name, c.Counted, c.ReadBack)
	}
	for _, name := range sortedKeys(s.Dimensions) {
		fmt.Fprintf(w, "table %-12s %d rows\n", name, s.Dimensions[name])
	}
	if len(s.DimensionDates) > 0 {
		fmt.Fprintf(w, "dimensions: %s processed, %d devices brought up to date (%d recomputed from their state)\n",
			strings.Join(s.DimensionDates, ", "), s.DevicesTouched, s.DevicesRecomputed)
	}
	for _, r := range s.SessionsRewritten {
		fmt.Fprintf(w, "identity: rewrote fact_sessions %s\n", r)
	}
	if len(s.Stages) > 0 {
		var stages []string
		for _, st := range s.Stages {
			stages = append(stages, fmt.Sprintf("%s %.1fs", st.Stage, st.Seconds))
		}
		fmt.Fprintf(w, "stages: %s\n", strings.Join(stages, ", "))
	}
	if s.GeoDB == "" {
		fmt.Fprintf(w, "geo: no --geo_db, so geo_country, geo_region, geo_city and geo_continent are NULL\n")
	} else {
		fmt.Fprintf(w, "geo: %s\n", s.GeoDB)
	}
	fmt.Fprintf(w, "reconciled: %t\n", s.Reconciled)
	for _, p := range s.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
}

// printIntervals prints a streaming run's per-minute reconciliation, the
// first and last minutes when there are many.
func (s *Summary) printIntervals(w io.Writer) {
	if len(s.Intervals) == 0 {
		return
	}
	fmt.Fprintln(w, "per publish minute (input_records = events + duplicates + bots + dead_letter + unwritable):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "minute\tinput_records\toutcomes\tlate_for_sessions\tbalanced\t\n")
	const head, tail = 10, 5
	for i, iv := range s.Intervals {
		if len(s.Intervals) > head+tail && i == head {
			fmt.Fprintf(tw, "... %d more\t\t\t\t\t\n", len(s.Intervals)-head-tail)
		}
		if len(s.Intervals) > head+tail && i >= head && i < len(s.Intervals)-tail {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%t\t\n", iv.Start.Format("2006-01-02 15:04"),
			iv.InputRecords, iv.Outcomes, iv.LateForSessions, iv.InputRecords == iv.Outcomes)
	}
	tw.Flush()
}

func pct(n, of int64) string {
	if of == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(of))
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// peakRSSMB reads the peak resident set size (VmHWM) from /proc, or 0 where
// there is no /proc.
func peakRSSMB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
