package pipelines

import (
	"fmt"
	"maps"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/example/clickstream/internal/runsummary"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

// newSummary builds a run's summary, once, from its totals and what its
// sink found it wrote, and reconciles it. In streaming the totals are per
// publish minute (tally.ByMinute), and the summary shows them per minute
// too (Intervals).
func newSummary(c Config, totals schemas.TallyTotals, w written, started, finished time.Time) (*runsummary.Summary, error) {
	t := totals
	var intervals []runsummary.Interval
	if c.Mode == schemas.ModeStreaming {
		var err error
		if t, intervals, err = perMinute(totals); err != nil {
			return nil, err
		}
	}
	s := &runsummary.Summary{
		RunID:         c.RunID,
		Started:       started.UTC(),
		Finished:      finished.UTC(),
		Seconds:       finished.Sub(started).Seconds(),
		PeakRSSMB:     peakRSSMB(),
		MemoryLimitMB: memoryLimitMB(),
		Mode:          c.Mode,
		Input:         c.Input,
		GeoDB:         c.GeoDB,
		InputRecords:  t.Sum(schemas.TallyInputRecords),
		Events:        t.Sum(schemas.TallyEvents),
		Duplicates:    t.Sum(schemas.TallyDuplicates),
		Bots:          t.ByKey(schemas.TallyBots),
		DeadLetter:    t.ByKey(schemas.TallyDeadLetter),
		OutOfRange:    t.Sum(schemas.TallyOutOfRange),
		Unwritable:    t.Sum(schemas.TallyUnwritable),
		Erased:        t.Sum(schemas.TallyErased),
		Sessions:      t.Sum(schemas.TallySessions),
		FailedLoads:   slices.Sorted(maps.Keys(t[LoadFailed])),
		Partitions:    w.partitions,
	}
	if rejected := t.ByKey(Rejected); len(rejected) > 0 {
		s.Rejected = rejected
	}
	for _, d := range w.owned {
		s.OwnedDates = append(s.OwnedDates, d.Format(time.DateOnly))
	}
	counted := map[string]int64{
		"fact_events": s.Events, "fact_sessions": s.Sessions, "bot_events": s.TotalBots(), "dead_letter": s.TotalDeadLetter(),
	}
	if c.Mode == schemas.ModeStreaming {
		s.Input = []string{"pubsub"}
		s.Messages = t.Sum(Messages)
		s.Acked = t.Sum(Acked)
		if published := t.ByKey(Published); len(published) > 0 {
			s.Published = published
		}
		s.LateForSessions = t.Sum(schemas.TallyLateForSessions)
		s.Intervals = intervals
		s.VisibleP50 = tally.Percentile(t[VisibleLatency], 0.5)
		s.VisibleP99 = tally.Percentile(t[VisibleLatency], 0.99)
		if len(w.unacked) > 0 {
			s.Problems = append(s.Problems, unackedProblem(w.unacked))
		}
		if w.tables != nil { // else nothing to read back
			s.Tables = map[string]runsummary.TableCheck{}
			for table, n := range counted {
				s.Tables[table] = runsummary.TableCheck{Counted: n, ReadBack: w.tables[table]}
			}
		}
	} else {
		s.Tables = map[string]runsummary.TableCheck{}
		for table, n := range counted {
			tc := runsummary.TableCheck{Counted: n}
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
			setDimensions(s, w.dims)
		}
	}
	s.Reconcile()
	return s, nil
}

// setDimensions records in s what the dimension step did.
func setDimensions(s *runsummary.Summary, res dimensions.Result) {
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

// memoryLimitMB is the Go runtime's soft memory limit in MB, or 0 when
// there is none (GOMEMLIMIT unset or "off").
func memoryLimitMB() int64 {
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		return limit >> 20
	}
	return 0
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
