package pipelines

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/example/clickstream/internal/runsummary"
)

// The driver's phases of a local batch run, in order.
const (
	phasePipeline   = "pipeline"
	phaseCommit     = "commit"
	phaseDimensions = "dimension step"
	phaseReadBack   = "read-back"
	phaseAccount    = "account"
)

// pipelineProgress is what a running job has counted so far (progressSource).
type pipelineProgress struct {
	// Records are the input records read (at least: a file's records are
	// counted once it is read, parsed ones as they are parsed).
	Records int64
	// FilesRead are the input files read to their end.
	FilesRead int64
	// Devices are the devices the per-device stage has processed, Staged
	// the rows it decided that are written to the local warehouse's staging
	// (dead letters, written straight after parsing, are not among them),
	// Loads the BigQuery load jobs started.
	Devices int64
	Staged  int64
	Loads   int64
}

// activity names what the job is doing by the furthest stage that has
// counted anything.
func (p pipelineProgress) activity(files int) string {
	switch {
	case p.Loads > 0:
		return fmt.Sprintf("loading: %s BigQuery load jobs started, %s records read", thousands(p.Loads), thousands(p.Records))
	case p.Staged > 0:
		return fmt.Sprintf("writing: %s rows staged, %s records read", thousands(p.Staged), thousands(p.Records))
	case p.Devices > 0:
		return fmt.Sprintf("per device: %s devices, %s records read", thousands(p.Devices), thousands(p.Records))
	default:
		return fmt.Sprintf("reading: %s records, %d/%d files", thousands(p.Records), p.FilesRead, files)
	}
}

// progressSource polls a running job's counters; ok is false when it has
// nothing to report (yet).
type progressSource func(ctx context.Context) (p pipelineProgress, ok bool)

// progress prints one line per tick to its writer (stderr in a run):
// elapsed time, the driver's current stage and, during the pipeline, what
// the job's counters say. It also times the stages for the summary. Its
// methods are safe for concurrent use.
type progress struct {
	out   io.Writer
	now   func() time.Time
	files int // input files of the run, for "files done of total"

	mu      sync.Mutex
	started time.Time
	stage   string
	since   time.Time
	source  progressSource
	timings []runsummary.StageTiming
}

func newProgress(out io.Writer, now func() time.Time, files int) *progress {
	t := now()
	return &progress{out: out, now: now, files: files, started: t, since: t}
}

// begin ends the current stage, starts the next one and prints what it
// does; source, if not nil, reports the job's counters while it runs.
func (p *progress) begin(stage, doing string, source progressSource) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	p.endLocked(t)
	p.stage, p.since, p.source = stage, t, source
	fmt.Fprintf(p.out, "progress %s %s: %s\n", clock(t.Sub(p.started)), stage, doing)
}

// end ends the current stage and returns every stage's timing.
func (p *progress) end() []runsummary.StageTiming {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLocked(p.now())
	p.stage, p.source = "", nil
	return p.timings
}

func (p *progress) endLocked(t time.Time) {
	if p.stage != "" {
		p.timings = append(p.timings, runsummary.StageTiming{Stage: p.stage, Seconds: t.Sub(p.since).Seconds()})
	}
}

// tick prints one progress line.
func (p *progress) tick(ctx context.Context) {
	p.mu.Lock()
	stage, since, source := p.stage, p.since, p.source
	p.mu.Unlock()
	if stage == "" {
		return
	}
	doing := stage + ": running for " + clock(p.now().Sub(since))
	if source != nil {
		if counted, ok := source(ctx); ok {
			doing = counted.activity(p.files)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "progress %s %s\n", clock(p.now().Sub(p.started)), doing)
}

// run prints a line on every tick until ticks is closed or ctx is done.
func (p *progress) run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-ticks:
			if !ok {
				return
			}
			p.tick(ctx)
		}
	}
}

// start makes p print a line on each of ticks until the returned stop is
// called.
func (p *progress) start(ctx context.Context, ticks <-chan time.Time) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(ctx, ticks)
	}()
	return func() {
		cancel()
		<-done
	}
}

// clock formats d as hh:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// thousands formats a count with comma separators: 412000 -> "412,000".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
