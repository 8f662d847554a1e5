package pipelines

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// The phases a batch run logs (see Run), in order.
var killPhases = []string{"run starting", "pipeline finished", "commit starting", "dimension step starting", "dimension step finished"}

// killTargets are the phases the kill loop aims at: a kill lands once the
// reader has taken a seeded number of snapshots, below snapshots, after the
// phase is logged. Counting the reader's snapshots, not time, spreads the
// kills over a phase on a fast or a loaded machine alike (the reader's
// snapshots are the moments anything is checked); a kill that lands past
// its phase lands in a later one, which is tested all the same.
var killTargets = []struct {
	phase     string
	snapshots int
}{
	{"run starting", 15},
	{"commit starting", 3},
	{"dimension step starting", 5},
}

var clickstreamBinary struct {
	once sync.Once
	path string
	err  error
}

// buildClickstream builds pipelines/clickstream once per test binary.
func buildClickstream(t *testing.T) string {
	t.Helper()
	b := &clickstreamBinary
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "clickstream-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "clickstream")
		if out, err := exec.Command("go", "build", "-o", b.path, "github.com/example/clickstream/pipelines/clickstream").CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build clickstream: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// batchProcess is one run of the clickstream binary, whose phase lines are
// timed as they are logged.
type batchProcess struct {
	cmd    *exec.Cmd
	phases chan string // each phase line, as logged
	output []string    // everything the run logged
	done   chan struct{}
	err    error
}

func startBatch(t *testing.T, bin string, args []string) *batchProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CLICKSTREAM_KILL_KEY=kill-test-key")
	// Its own process group: kill -9 reaches whatever the run started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &batchProcess{cmd: cmd, phases: make(chan string, len(killPhases)), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.output = append(p.output, line)
			for _, ph := range killPhases {
				if strings.Contains(line, `"`+ph+`"`) || strings.Contains(line, " "+ph+" ") {
					p.phases <- ph
				}
			}
		}
		close(p.phases)
		p.err = cmd.Wait()
	}()
	return p
}

func (p *batchProcess) kill() { _ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// runToEnd runs args to the end, which must succeed.
func runToEnd(t *testing.T, bin string, args []string) {
	t.Helper()
	p := startBatch(t, bin, args)
	for range p.phases {
	}
	<-p.done
	if p.err != nil {
		t.Fatalf("run: %v\n%s", p.err, strings.Join(p.output, "\n"))
	}
}

// warehouseTables are read back by the kill loop, each row as its JSON.
var warehouseTables = []struct {
	name        string
	partitioned bool
	// read reads the rows of dates (nil: all). loose blanks what a state
	// between the commit and the dimension step may hold differently:
	// fact_sessions' resolved_user_key, which the dimension step re-resolves.
	read func(out string, dates []time.Time, loose bool) ([]string, error)
}{
	{"fact_events", true, readJSON[schemas.Event]("fact_events", nil)},
	{"bot_events", true, readJSON[schemas.BotEvent]("bot_events", nil)},
	{"dead_letter", true, readJSON[schemas.DeadLetter]("dead_letter", nil)},
	{"fact_sessions", true, readJSON("fact_sessions", func(s *schemas.Session) { s.ResolvedUserKey = "" })},
	{"dim_device_users", false, readJSON[schemas.DeviceUser]("dim_device_users", nil)},
	{"dim_devices", false, readJSON[schemas.Device]("dim_devices", nil)},
	{"dim_users", false, readJSON[schemas.User]("dim_users", nil)},
	{"dim_pages", false, readJSON[schemas.Page]("dim_pages", nil)},
}

func readJSON[T any](table string, blank func(*T)) func(out string, dates []time.Time, loose bool) ([]string, error) {
	return func(out string, dates []time.Time, loose bool) ([]string, error) {
		rows, err := warehouse.ReadRows[T](out, table, dates)
		if err != nil {
			return nil, err
		}
		keys := make([]string, len(rows))
		for i, r := range rows {
			if loose && blank != nil {
				blank(&r)
			}
			b, err := json.Marshal(r)
			if err != nil {
				return nil, err
			}
			keys[i] = string(b)
		}
		slices.Sort(keys)
		return keys, nil
	}
}

// warehouseState is the rows of every partition of every table, by table and
// then partition date (the zero date for an unpartitioned table); a
// partition that is not there is not in it.
type warehouseState map[string]map[time.Time][]string

// readState reads every partition on its own: one whose files are
// swapped away while it is read is read again.
func readState(out string, loose bool) (warehouseState, error) {
	snap := warehouseState{}
	for _, table := range warehouseTables {
		parts := map[time.Time][]string{}
		var dates []time.Time
		if table.partitioned {
			var err error
			if dates, err = warehouse.Dates(out, table.name); err != nil {
				return nil, err
			}
		} else if _, err := os.Stat(filepath.Join(out, table.name)); err == nil {
			dates = []time.Time{{}}
		}
		for _, d := range dates {
			var only []time.Time
			if table.partitioned {
				only = []time.Time{d}
			}
			var rows []string
			var err error
			for attempt := 0; attempt < 50; attempt++ {
				if rows, err = table.read(out, only, loose); err == nil {
					break
				}
			}
			if err != nil {
				return nil, fmt.Errorf("read %s %s: %w", table.name, d.Format(time.DateOnly), err)
			}
			if len(rows) > 0 {
				parts[d] = rows
			}
		}
		snap[table.name] = parts
	}
	return snap, nil
}

// checkState compares what a reader saw with the reference: every
// partition must be the reference's whole, or, until a reader has once seen
// it whole, not there.
func checkState(got, want warehouseState, complete map[string]bool) []string {
	var bad []string
	for table, parts := range want {
		for d, ref := range parts {
			key := table + " " + d.Format(time.DateOnly)
			rows, there := got[table][d]
			switch {
			case slices.Equal(rows, ref):
				complete[key] = true
			case there:
				bad = append(bad, fmt.Sprintf("%s with %d rows, neither whole (%d) nor absent", key, len(rows), len(ref)))
			case complete[key]:
				bad = append(bad, key+" absent after it was complete")
			}
		}
		for d, rows := range got[table] {
			if _, ok := parts[d]; !ok {
				bad = append(bad, fmt.Sprintf("%s %s with %d rows, which the reference does not have", table, d.Format(time.DateOnly), len(rows)))
			}
		}
	}
	return bad
}

// TestKillLoop kill -9s the batch binary at seeded random points of its
// pipeline, its commit and its dimension step, running it again after each
// kill (the next run recovers), while a reader polls every partition. No
// reader ever sees a partition other than whole (or not yet written), the
// final warehouse holds exactly the rows of an uninterrupted run, and
// nothing is left under _staging.
func TestKillLoop(t *testing.T) {
	bin := buildClickstream(t)
	data := t.TempDir()
	generateSample(t, data, "--seed", "21", "--events", "3000", "--days", "1")
	args := func(out string) []string {
		return []string{"--input=" + filepath.Join(data, "raw", "*", "*"), "--output=" + out,
			"--hash_key=env:CLICKSTREAM_KILL_KEY", "--bot_ip_file=" + filepath.Join(data, "bot_ip_denylist.txt"), "--shards=4"}
	}

	refOut := t.TempDir()
	runToEnd(t, bin, args(refOut))
	want, err := readState(refOut, false)
	if err != nil {
		t.Fatal(err)
	}
	wantLoose, err := readState(refOut, true)
	if err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	stop := make(chan struct{})
	snapped := make(chan struct{}, 1) // a snapshot was taken since the last receive
	var (
		polls     int
		violation []string
		pollErr   error
		reader    sync.WaitGroup
	)
	reader.Go(func() {
		complete := map[string]bool{}
		poll := time.NewTicker(5 * time.Millisecond) // leaves the runs their share of the machine
		defer poll.Stop()
		for {
			select {
			case <-stop:
				return
			case <-poll.C:
			}
			snap, err := readState(out, true)
			if err != nil {
				pollErr = err
				return
			}
			polls++
			violation = append(violation, checkState(snap, wantLoose, complete)...)
			select {
			case snapped <- struct{}{}:
			default:
			}
		}
	})

	const iterations = 21
	rng := rand.New(rand.NewPCG(21, 1))
	landed := map[string]int{}
	for i := range iterations {
		target := killTargets[i%len(killTargets)]
		aim := rng.IntN(target.snapshots)
		wait := aim
		p := startBatch(t, bin, args(out))
		var last string
		armed, killed := false, false
		kill := func() {
			if !killed {
				killed = true
				p.kill()
			}
		}
		for phases := p.phases; phases != nil; {
			select {
			case ph, ok := <-phases:
				if !ok {
					phases = nil
					continue
				}
				last = ph
				if ph == target.phase {
					armed = true
					if wait == 0 {
						kill()
					}
				}
			case <-snapped:
				if armed {
					if wait--; wait <= 0 {
						kill()
					}
				}
			}
		}
		<-p.done
		died := p.err != nil
		if died {
			var exit *exec.ExitError
			if !errors.As(p.err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("iteration %d: the run failed by itself: %v\n%s", i, p.err, strings.Join(p.output, "\n"))
			}
		}
		point := "finished before the kill"
		switch {
		case !died:
		case last == "" || last == "run starting":
			point = "pipeline"
		case last == "pipeline finished":
			point = "between pipeline and commit"
		case last == "commit starting":
			point = "commit"
		case last == "dimension step starting":
			point = "dimension step"
		default:
			point = "after the dimension step"
		}
		landed[point]++
		t.Logf("iteration %d: aimed at %s + %d snapshots, killed in: %s", i, target.phase, aim, point)
	}

	final := startBatch(t, bin, args(out))
	for range final.phases {
	}
	<-final.done
	close(stop)
	reader.Wait()
	if final.err != nil {
		t.Fatalf("the run after the kills: %v\n%s", final.err, strings.Join(final.output, "\n"))
	}
	if pollErr != nil {
		t.Fatalf("reader: %v", pollErr)
	}
	for _, v := range violation[:min(len(violation), 20)] {
		t.Errorf("a reader saw %s", v)
	}
	t.Logf("%d iterations, kills landed: %v; the reader took %d snapshots", iterations, landed, polls)

	got, err := readState(out, false)
	if err != nil {
		t.Fatal(err)
	}
	for table, parts := range want {
		for d, ref := range parts {
			if g := got[table][d]; !slices.Equal(g, ref) {
				t.Errorf("%s %s: %d rows after the kills, %d in the uninterrupted run", table, d.Format(time.DateOnly), len(g), len(ref))
			}
		}
		if len(got[table]) != len(parts) {
			t.Errorf("%s: %d partitions after the kills, %d in the uninterrupted run", table, len(got[table]), len(parts))
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, "_staging", "*")); len(left) > 0 {
		t.Errorf("left under _staging: %v", left)
	}
}
