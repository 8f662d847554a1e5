// Package generate writes a synthetic e-commerce clickstream as the
// collector lands it, and the ground truth of what the pipeline must do with
// every record of it. It shares no code with the pipeline, so that the truth
// is an independent specification. The command is cmd/generate; tests call
// Generate directly (internal/groundtruth). See README.md for the layout and
// the rules.
package generate

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// PrintSummary writes what a run of cfg wrote, as the command prints it:
// files, lines, records, the world's size, outcomes, bot rules and
// dead-letter reasons; took is how long the run took.
func PrintSummary(w io.Writer, cfg Config, s *Summary, took time.Duration) {
	fmt.Fprintf(w, "wrote %s in %.1fs\n", cfg.Out, took.Seconds())
	fmt.Fprintf(w, "  files %d (%d gzip), lines %d, records %d\n", s.Files, s.GzipFiles, s.Lines, s.Records)
	fmt.Fprintf(w, "  world: %d persons, %d devices, %d events, %d visits (%.1f%% with a purchase)\n",
		s.Persons, s.Devices, s.Events, s.Visits, 100*float64(s.PurchaseVisits)/float64(max(1, s.Visits)))
	fmt.Fprintf(w, "  outcomes:")
	for _, o := range outcomeNames[1:] {
		fmt.Fprintf(w, " %s %d", o, s.Outcomes[o])
	}
	fmt.Fprintf(w, "\n  sessions %d\n  bot rules:", s.Sessions)
	for _, r := range botRuleNames[1:] {
		fmt.Fprintf(w, " %s %d", r, s.BotRules[r])
	}
	fmt.Fprintf(w, "\n  dead letters:")
	reasons := make([]string, 0, len(s.DeadLetterReasons))
	for r := range s.DeadLetterReasons {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, " %s %d", r, s.DeadLetterReasons[r])
	}
	fmt.Fprintln(w)
}
