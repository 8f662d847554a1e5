package pipelines

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/internal/runsummary"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// TestProgressLines: each tick prints the elapsed time and what the
// current stage is doing (the job's counters while the pipeline runs), each
// stage says what it does when it starts, and the timings are the clock's.
func TestProgressLines(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	p := newProgress(&out, clock.now, 24)
	counted := []pipelineProgress{
		{},                              // the job is not submitted yet
		{Records: 412000, FilesRead: 9}, // reading
		{Records: 1000000, FilesRead: 24, Devices: 51234}, // per device
		{Records: 1000000, FilesRead: 24, Devices: 80000, Staged: 7500},
		{Records: 1000000, FilesRead: 24, Devices: 80000, Staged: 900000, Loads: 12},
	}
	polls := 0
	source := func(context.Context) (pipelineProgress, bool) {
		c := counted[polls]
		polls++
		return c, polls > 1
	}
	ticks := make(chan time.Time, 1)
	tick := func(d time.Duration) {
		clock.advance(d)
		ticks <- clock.t
		close(ticks)
		p.run(context.Background(), ticks) // returns once the tick is printed
		ticks = make(chan time.Time, 1)
	}

	p.begin(phasePipeline, "reading 24 file(s)", source)
	for range counted {
		tick(5 * time.Second)
	}
	p.begin(phaseCommit, "publishing", nil)
	tick(5 * time.Second)
	clock.advance(2 * time.Second)
	timings := p.end()
	tick(5 * time.Second) // no stage: nothing

	want := []string{
		"progress 00:00:00 pipeline: reading 24 file(s)",
		"progress 00:00:05 pipeline: running for 00:00:05",
		"progress 00:00:10 reading: 412,000 records, 9/24 files",
		"progress 00:00:15 per device: 51,234 devices, 1,000,000 records read",
		"progress 00:00:20 writing: 7,500 rows staged, 1,000,000 records read",
		"progress 00:00:25 loading: 12 BigQuery load jobs started, 1,000,000 records read",
		"progress 00:00:25 commit: publishing",
		"progress 00:00:30 commit: running for 00:00:05",
	}
	if got := strings.Split(strings.TrimSpace(out.String()), "\n"); !slices.Equal(got, want) {
		t.Errorf("progress lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantTimings := []runsummary.StageTiming{{Stage: phasePipeline, Seconds: 25}, {Stage: phaseCommit, Seconds: 7}}
	if !slices.Equal(timings, wantTimings) {
		t.Errorf("timings %v, want %v", timings, wantTimings)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 412000: "412,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestRunPrintsProgress: a small real run prints progress polled from the
// local runner, never more records than it read, and its summary gives
// the driver's stage timings (their values are the clock's, so only their
// presence is checked).
func TestRunPrintsProgress(t *testing.T) {
	g := sample
	c := g.config(t)
	var out syncBuffer
	// A line on every tick the reporter takes, as fast as it takes them,
	// rather than on a clock: the job is polled all through the pipeline
	// however fast or loaded the machine is.
	c.Progress, c.ProgressInterval = &out, time.Hour
	ticks, done := make(chan time.Time), make(chan struct{})
	go func() {
		for {
			select {
			case ticks <- time.Time{}:
			case <-done:
				return
			}
		}
	}()
	sum, err := run(context.Background(), c, seams{ticks: ticks})
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(c.Input[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := out.String()
	reading := regexp.MustCompile(`(?m)^progress \d\d:\d\d:\d\d (?:reading: ([\d,]+) records, \d+/(\d+) files|per device: [\d,]+ devices, ([\d,]+) records read|writing: [\d,]+ rows staged, ([\d,]+) records read)$`)
	matches := reading.FindAllStringSubmatch(lines, -1)
	if len(matches) == 0 {
		t.Fatalf("no progress line with the job's counters:\n%s", lines)
	}
	for _, m := range matches {
		n, err := strconv.ParseInt(strings.ReplaceAll(m[1]+m[3]+m[4], ",", ""), 10, 64)
		if err != nil || n > sum.InputRecords {
			t.Errorf("%q: more records than the run read (%d)", m[0], sum.InputRecords)
		}
		if m[2] != "" && m[2] != strconv.Itoa(len(files)) {
			t.Errorf("%q: the sample has %d files", m[0], len(files))
		}
	}
	var stages []string
	for _, s := range sum.Stages {
		stages = append(stages, s.Stage)
	}
	if want := []string{phasePipeline, phaseCommit, phaseDimensions, phaseReadBack, phaseAccount}; !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
	var printed bytes.Buffer
	sum.Print(&printed)
	if !regexp.MustCompile(`(?m)^stages: pipeline \d+\.\ds, commit \d+\.\ds, dimension step \d+\.\ds, read-back \d+\.\ds, account \d+\.\ds$`).MatchString(printed.String()) {
		t.Errorf("the summary has no stage timings:\n%s", printed.String())
	}
}
