package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/schemas"
)

// pickRun returns the run to print: the newest row of runID; without it,
// the newest row that jobID (a Dataflow job) wrote; without either, the
// newest run.
func pickRun(runs []schemas.Run, runID, jobID string) (schemas.Run, error) {
	match, missing := func(schemas.Run) bool { return true }, "no run in the runs table"
	switch {
	case runID != "":
		match, missing = func(r schemas.Run) bool { return r.RunID == runID }, "no row in runs for run "+runID
	case jobID != "":
		match, missing = func(r schemas.Run) bool { return r.JobID == jobID }, "no row in runs for Dataflow job "+jobID
	}
	var newest *schemas.Run
	for i, r := range runs {
		if match(r) && (newest == nil || r.Started.After(newest.Started)) {
			newest = &runs[i]
		}
	}
	if newest == nil {
		return schemas.Run{}, errors.New(missing)
	}
	return *newest, nil
}

// summarize rebuilds from a run's rows the summary a local run prints, and
// returns with it the partitions not in order (see inOrder), which the
// summary has no place for.
//
// The verdict is the run's own (runs.reconciled and runs.problems), unless
// the rows contradict it: bots or dead letters whose breakdown in
// run_outcomes does not add up to the total in runs (say, one of the tables
// was not written), or a partition not in order in a run that says it
// reconciled. Either makes the run not reconciled, with the problem added.
func summarize(a account) (*runsummary.Summary, []schemas.RunPartition) {
	r := a.run
	s := &runsummary.Summary{
		RunID:        r.RunID,
		Started:      r.Started,
		Finished:     r.Finished,
		Seconds:      r.Finished.Sub(r.Started).Seconds(),
		Mode:         r.Mode,
		OwnedDates:   ownedDates(r),
		InputRecords: r.InputRecords,
		Events:       r.Events,
		Duplicates:   r.Duplicates,
		OutOfRange:   r.OutOfRange,
		Unwritable:   r.Unwritable,
		Erased:       r.Erased,
		Sessions:     r.Sessions,
		Tables:       map[string]runsummary.TableCheck{},
		Dimensions:   map[string]int{},
		Problems:     slices.Clone(r.Problems),
	}
	var contradictions []string
	var problem string
	if s.Bots, problem = breakdown(a.outcomes, schemas.TallyBots, r.Bots); problem != "" {
		contradictions = append(contradictions, problem)
	}
	if s.DeadLetter, problem = breakdown(a.outcomes, schemas.TallyDeadLetter, r.DeadLetter); problem != "" {
		contradictions = append(contradictions, problem)
	}

	var notInOrder []schemas.RunPartition
	for _, p := range a.partitions {
		written := int64(0)
		if p.RowsWritten != nil {
			written = *p.RowsWritten
		}
		switch {
		case p.RowsCounted != nil:
			c := s.Tables[p.TableName]
			c.Counted += *p.RowsCounted
			c.ReadBack += written
			s.Tables[p.TableName] = c
		case p.Date.IsZero():
			// An unpartitioned table the run derived: a dimension.
			s.Dimensions[p.TableName] = int(written)
		case p.TableName == "fact_sessions":
			// A partition whose sessions the identity step re-resolved;
			// how many changed has no column.
			s.SessionsRewritten = append(s.SessionsRewritten, fmt.Sprintf("%s (%d sessions)", p.Date.Format(time.DateOnly), written))
		}
		if !inOrder(p) {
			notInOrder = append(notInOrder, p)
		}
	}
	if r.Reconciled && len(notInOrder) > 0 {
		contradictions = append(contradictions, fmt.Sprintf(
			"runs says reconciled, but run_partitions has %d partition(s) not in order (below)", len(notInOrder)))
	}
	s.Problems = append(s.Problems, contradictions...)
	s.Reconciled = r.Reconciled && len(contradictions) == 0
	return s, notInOrder
}

// ownedDates lists the dates the run owns, as a local run's summary does.
func ownedDates(r schemas.Run) []string {
	var dates []time.Time
	switch parsed, err := schemas.ParseDates(r.DatesOwned); {
	case err == nil && len(parsed) > 0:
		dates = parsed
	case r.DatesOwned != "":
		return []string{r.DatesOwned}
	case !r.FirstDate.IsZero():
		for d := r.FirstDate; !d.After(r.LastDate); d = d.AddDate(0, 0, 1) {
			dates = append(dates, d)
		}
	}
	out := make([]string, len(dates))
	for i, d := range dates {
		out[i] = d.Format(time.DateOnly)
	}
	return out
}

// missingDetail is the key under which breakdown puts the records of an
// outcome that run_outcomes does not break down.
const missingDetail = "(not in run_outcomes)"

// breakdown returns the records of outcome by detail (bot rule or
// dead-letter reason) from run_outcomes, adding up to total, the outcome's
// column in runs. When the rows fall short of it, the rest is put under
// missingDetail; when they do not add up, problem says so.
func breakdown(outcomes []schemas.RunOutcome, outcome string, total int64) (byDetail map[string]int64, problem string) {
	byDetail = map[string]int64{}
	var sum int64
	for _, o := range outcomes {
		if o.Outcome == outcome && o.Records != 0 {
			byDetail[o.Detail] += o.Records
			sum += o.Records
		}
	}
	if sum == total {
		return byDetail, ""
	}
	if sum < total {
		byDetail[missingDetail] = total - sum
	}
	return byDetail, fmt.Sprintf("run_outcomes: %s by detail add up to %d, runs.%s is %d", outcome, sum, outcome, total)
}

// inOrder reports whether a partition holds what the run meant it to:
// written or emptied, and holding the rows counted for it when it counted
// them. A failed partition holds what it held before the run; a pending one
// waits for the dimension step.
func inOrder(p schemas.RunPartition) bool {
	if p.Status != schemas.PartitionWritten && p.Status != schemas.PartitionEmptied {
		return false
	}
	return p.RowsCounted == nil || p.RowsWritten != nil && *p.RowsWritten == *p.RowsCounted
}

// printPartitions lists the partitions not in order after the summary, with
// the job and attempt that wrote (or failed to write) each.
func printPartitions(w io.Writer, parts []schemas.RunPartition) {
	if len(parts) == 0 {
		return
	}
	fmt.Fprintln(w, "partitions not in order:")
	for _, p := range parts {
		line := fmt.Sprintf("  %s %s: %s", p.TableName, partitionName(p), p.Status)
		if p.RowsCounted != nil {
			line += fmt.Sprintf(", counted %d rows", *p.RowsCounted)
		}
		if p.RowsWritten != nil {
			line += fmt.Sprintf(", holds %d", *p.RowsWritten)
		}
		if p.JobID != "" {
			line += ", job " + p.JobID
		}
		if p.Attempt != nil {
			line += fmt.Sprintf(" (attempt %d)", *p.Attempt)
		}
		if p.Error != "" {
			line += ": " + p.Error
		}
		fmt.Fprintln(w, line)
	}
}

// partitionName is a partition's date, or "(whole table)" for an
// unpartitioned table.
func partitionName(p schemas.RunPartition) string {
	if p.Date.IsZero() {
		return "(whole table)"
	}
	return p.Date.Format(time.DateOnly)
}

// printHistory prints the newest runs, newest first, one line each with the
// verdict the run recorded.
func printHistory(w io.Writer, runs []schemas.Run, limit int) {
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b schemas.Run) int { return b.Started.Compare(a.Started) })
	if len(runs) > limit {
		runs = runs[:limit]
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "started (UTC)\trun_id\tdates\tsink\tjob_id\tinput_records\tseconds\tverdict")
	for _, r := range runs {
		verdict := "reconciled"
		switch {
		case r.Reconciled:
		case len(r.Problems) == 0:
			verdict = "NOT reconciled"
		case len(r.Problems) == 1:
			verdict = "NOT reconciled: " + r.Problems[0]
		default:
			verdict = fmt.Sprintf("NOT reconciled: %s (and %d more problems)", r.Problems[0], len(r.Problems)-1)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%.0f\t%s\n", r.Started.UTC().Format("2006-01-02 15:04:05"),
			r.RunID, orDash(r.DatesOwned), r.Sink, orDash(r.JobID), r.InputRecords, r.Finished.Sub(r.Started).Seconds(), verdict)
	}
	_ = tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
