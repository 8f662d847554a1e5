// Package runsummary is the account of one run: what it read, where every
// record ended, what each table and partition holds, and whether it all
// reconciles. The pipeline builds it (pipelines.Run); it is stored as
// <output>/_runs/<run_id>.json, printed at the end of a run, and rebuilt
// from the runs tables by tools/runstatus.
package runsummary

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/example/clickstream/schemas"
)

// Summary is the account of one run, stored as <output>/_runs/<run_id>.json.
type Summary struct {
	RunID    string    `json:"run_id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Seconds  float64   `json:"seconds"`
	// PeakRSSMB is the process's peak resident memory (Linux only; the local
	// runner runs in the same process, so it covers the whole run).
	PeakRSSMB int64 `json:"peak_rss_mb,omitempty"`
	// MemoryLimitMB is the Go runtime's soft memory limit (GOMEMLIMIT), when
	// the run had one: a lower peak for more garbage collection (README,
	// Performance).
	MemoryLimitMB int64    `json:"memory_limit_mb,omitempty"`
	Input         []string `json:"input"`
	OwnedDates    []string `json:"owned_dates"`

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
	// Erased are the events of an erased person or device (an erasure
	// request), dropped after parse and written nowhere.
	Erased int64 `json:"erased,omitempty"`
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
	// Streaming runs only: the messages read and acknowledged, the messages
	// published to the live tables' topics (by table), the events too late
	// for their session windows (also counted under events), and the
	// reconciliation per publish minute.
	Mode            string           `json:"mode"`
	Messages        int64            `json:"messages,omitempty"`
	Acked           int64            `json:"acked,omitempty"`
	Published       map[string]int64 `json:"published,omitempty"`
	LateForSessions int64            `json:"late_for_sessions,omitempty"`
	Intervals       []Interval       `json:"intervals,omitempty"`
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

// StageTiming is how long one phase of a run took, as the run's summary
// reports it.
type StageTiming struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
}

// Interval is the reconciliation of one publish minute of a streaming run.
type Interval struct {
	Start        time.Time `json:"start"`
	InputRecords int64     `json:"input_records"`
	// Outcomes is events + duplicates + bots + dead_letter + unwritable +
	// erased.
	Outcomes        int64 `json:"outcomes"`
	LateForSessions int64 `json:"late_for_sessions,omitempty"`
}

// Settle gives a partition written by the run, whose rows are read back,
// its status: written, or emptied when it holds no rows. A status already
// decided (pending, failed) stays.
func (p *PartitionCheck) Settle() {
	if p.Status != "" {
		return
	}
	p.Status = schemas.PartitionWritten
	if p.ReadBack == 0 {
		p.Status = schemas.PartitionEmptied
	}
}

// checkedByPartition reports whether table's rows are checked partition by
// partition (Partitions).
func (s *Summary) checkedByPartition(table string) bool {
	return slices.ContainsFunc(s.Partitions, func(p PartitionCheck) bool { return p.Table == table && p.Counted != nil })
}

// Reconcile sets Reconciled and Problems: input_records must equal the
// sum of the outcomes, every table and partition must hold the rows counted
// for it, and in streaming every minute must balance and every message
// read must be acknowledged.
func (s *Summary) Reconcile() {
	outcomes := s.Events + s.Duplicates + sum(s.Bots) + sum(s.DeadLetter) + s.OutOfRange + s.Unwritable + s.Erased
	if outcomes != s.InputRecords {
		s.Problems = append(s.Problems, fmt.Sprintf(
			"input_records %d != events + duplicates + bots + dead_letter + out_of_range + unwritable + erased = %d (%+d)",
			s.InputRecords, outcomes, outcomes-s.InputRecords))
	}
	for _, f := range s.FailedLoads {
		s.Problems = append(s.Problems, "load failed: "+f)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Tables)) {
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
	if s.Mode == schemas.ModeStreaming && s.Acked != s.Messages {
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

// Load reads the summary of run runID that Save stored under
// output.
func Load(output, runID string) (*Summary, error) {
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
	if s.MemoryLimitMB > 0 {
		fmt.Fprintf(w, " (GOMEMLIMIT %d MB)", s.MemoryLimitMB)
	}
	fmt.Fprintln(w)
	row("input_records", s.InputRecords, "")
	row("events", s.Events, pct(s.Events, s.InputRecords))
	row("duplicates", s.Duplicates, pct(s.Duplicates, s.InputRecords))
	row("bots", sum(s.Bots), pct(sum(s.Bots), s.InputRecords))
	for _, k := range slices.Sorted(maps.Keys(s.Bots)) {
		row("  "+k, s.Bots[k], "")
	}
	row("dead_letter", sum(s.DeadLetter), pct(sum(s.DeadLetter), s.InputRecords))
	for _, k := range slices.Sorted(maps.Keys(s.DeadLetter)) {
		row("  "+k, s.DeadLetter[k], "")
	}
	row("out_of_range", s.OutOfRange, pct(s.OutOfRange, s.InputRecords))
	if s.Unwritable > 0 {
		row("unwritable", s.Unwritable, "refused by BigQuery with their fallback dead letter")
	}
	row("erased", s.Erased, pct(s.Erased, s.InputRecords))
	row("sessions", s.Sessions, "")
	if len(s.Rejected) > 0 {
		row("bigquery_rejected", sum(s.Rejected), "rows refused; their records counted where they ended")
		for _, k := range slices.Sorted(maps.Keys(s.Rejected)) {
			row("  "+k, s.Rejected[k], "")
		}
	}
	if s.Mode == schemas.ModeStreaming {
		row("late_for_sessions", s.LateForSessions, "also in events")
		row("messages", s.Messages, "")
		row("acked", s.Acked, "")
		if len(s.Published) > 0 {
			row("published", sum(s.Published), "messages to the live tables' topics")
			for _, k := range slices.Sorted(maps.Keys(s.Published)) {
				row("  "+k, s.Published[k], "")
			}
		}
	}
	if s.VisibleP99 > 0 {
		fmt.Fprintf(tw, "publish -> fact_events visible\tp50 %v\tp99 %v\t\n", s.VisibleP50, s.VisibleP99)
	}
	tw.Flush()
	s.printIntervals(w)
	for _, name := range slices.Sorted(maps.Keys(s.Tables)) {
		c := s.Tables[name]
		fmt.Fprintf(w, "table %-12s counted %d, read back %d\n", name, c.Counted, c.ReadBack)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Dimensions)) {
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
	fmt.Fprintln(w, "per publish minute (input_records = events + duplicates + bots + dead_letter + unwritable + erased):")
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

// TotalBots and TotalDeadLetter are the records with those outcomes, over
// every rule or reason.
func (s *Summary) TotalBots() int64       { return sum(s.Bots) }
func (s *Summary) TotalDeadLetter() int64 { return sum(s.DeadLetter) }

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
