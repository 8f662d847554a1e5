package warehouse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/example/clickstream/schemas"
)

// The tests of this file run writers in separate processes: the test binary
// started again with helperEnv naming one of helpers. A helper reads its
// arguments from helperArgsEnv, reports on stdout one line per step, and
// waits for a line on stdin where the test must act between two steps.
const (
	helperEnv     = "WAREHOUSE_TEST_HELPER"
	helperArgsEnv = "WAREHOUSE_TEST_HELPER_ARGS"
)

var helpers = map[string]func(args []string, in *bufio.Reader) error{
	"batch":   helperBatch,
	"recover": func(args []string, _ *bufio.Reader) error { return Recover(args[0]) },
	"stream":  helperStream,
	"rewrite": helperRewrite,
}

// runHelper runs the helper that the environment names, if any, and
// reports whether it did; TestMain exits then.
func runHelper() (ran bool, code int) {
	name := os.Getenv(helperEnv)
	if name == "" {
		return false, 0
	}
	args := strings.Split(os.Getenv(helperArgsEnv), "\x1f")
	if err := helpers[name](args, bufio.NewReader(os.Stdin)); err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", name, err)
		return true, 1
	}
	return true, 0
}

// helperProc is a helper process seen from the test.
type helperProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
	done  chan error
}

func startHelper(t *testing.T, name string, args ...string) *helperProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, helperArgsEnv+"="+strings.Join(args, "\x1f"))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helperProc{t: t, cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout), done: make(chan error, 1)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = h.wait()
	})
	return h
}

// expect reads the helper's next line and fails the test unless it starts
// with prefix; it returns the rest.
func (h *helperProc) expect(prefix string) string {
	h.t.Helper()
	if !h.lines.Scan() {
		h.t.Fatalf("helper ended before %q: %v", prefix, h.wait())
	}
	rest, ok := strings.CutPrefix(h.lines.Text(), prefix)
	if !ok {
		h.t.Fatalf("helper said %q, want %q", h.lines.Text(), prefix)
	}
	return strings.TrimSpace(rest)
}

// proceed lets the helper take its next step.
func (h *helperProc) proceed() {
	h.t.Helper()
	h.say("go")
}

// say writes a line to the helper's input.
func (h *helperProc) say(line string) {
	h.t.Helper()
	if _, err := io.WriteString(h.stdin, line+"\n"); err != nil {
		h.t.Fatal(err)
	}
}

// wait waits for the process once; later calls return the same error.
func (h *helperProc) wait() error {
	select {
	case err := <-h.done:
		h.done <- err
		return err
	default:
	}
	for h.lines.Scan() {
	}
	err := h.cmd.Wait()
	h.done <- err
	return err
}

func (h *helperProc) mustExit() {
	h.t.Helper()
	if err := h.wait(); err != nil {
		h.t.Fatalf("helper failed: %v", err)
	}
}

func waitForLine(in *bufio.Reader) error {
	_, err := in.ReadString('\n')
	return err
}

// helperBatch is a batch run: it begins (out, run id, owned dates), stages
// fact_events rows of the first date, reports "staged", waits, stages
// bot_events rows of the first date (the pipeline goes on), reports
// "waiting", waits, commits and reports "committed".
func helperBatch(args []string, in *bufio.Reader) error {
	out, runID := args[0], args[1]
	var dates []time.Time
	for _, s := range strings.Split(args[2], ",") {
		d, err := time.Parse(dateLayout, s)
		if err != nil {
			return err
		}
		dates = append(dates, d)
	}
	run, err := BeginRun(out, RunInfo{RunID: runID, Dates: dates})
	if err != nil {
		fmt.Println("refused", err)
		return nil
	}
	defer run.Close()
	if err := stageRows(out, runID, "fact_events", anys(makeEvents(runID, dates[0], 0, 20))); err != nil {
		return err
	}
	fmt.Println("staged")
	if err := waitForLine(in); err != nil {
		return err
	}
	if err := stageRows(out, runID, "bot_events", anys(makeBotEvents(dates[0], 3))); err != nil {
		return err
	}
	fmt.Println("waiting")
	if err := waitForLine(in); err != nil {
		return err
	}
	if _, err := Commit(out, runID, dates); err != nil {
		return err
	}
	fmt.Println("committed")
	return nil
}

// stageRows stages one bundle of rows as the pipeline's Write does.
func stageRows(out, runID, table string, rows []any) error {
	ctx := context.Background()
	if err := (&beginFn{Out: out, RunID: runID}).ProcessElement(nil); err != nil {
		return err
	}
	fn := &stageFn{Out: out, RunID: runID, Table: table}
	if err := fn.Setup(); err != nil {
		return err
	}
	if err := fn.StartBundle(ctx); err != nil {
		return err
	}
	for _, r := range rows {
		if err := fn.ProcessElement(ctx, r); err != nil {
			return err
		}
	}
	return fn.FinishBundle(ctx)
}

// helperStream is a streaming run (out, run id) that appends 5 rows to day1
// of fact_events per bundle, as the sink does, one bundle for each "go" line
// of its input until a "stop" line; it says "publishing <n>" before bundle
// n publishes its files and "acked <n>" once the bundle's deliveries are
// emitted, the moment a streaming run acknowledges its messages.
func helperStream(args []string, in *bufio.Reader) error {
	out, runID := args[0], args[1]
	ctx := context.Background()
	fn := &appendFn{Out: out, RunID: runID, Table: "fact_events"}
	if err := fn.Setup(); err != nil {
		return err
	}
	fmt.Println("ready")
	var acked int
	emit := func(beam.EventTime, schemas.Delivery) { acked++ }
	for n := 0; ; n++ {
		cmd, err := in.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.TrimSpace(cmd) == "stop" {
			return nil
		}
		if err := fn.StartBundle(ctx, emit); err != nil {
			return err
		}
		for _, e := range streamed(n) {
			if err := fn.ProcessElement(ctx, 0, e, emit); err != nil {
				return err
			}
		}
		fmt.Println("publishing", n)
		if err := fn.FinishBundle(ctx, emit); err != nil {
			return err
		}
		if acked != 5*(n+1) {
			return fmt.Errorf("bundle %d: %d deliveries emitted in all, want %d", n, acked, 5*(n+1))
		}
		fmt.Println("acked", n)
	}
}

// streamed are the rows of helperStream's bundle n.
func streamed(n int) []schemas.Event {
	events := makeEvents(fmt.Sprintf("stream%04d", n), day1, 0, 5)
	for i := range events {
		events[i].Delivery = schemas.Delivery{AckID: events[i].EventID, Rows: 1}
	}
	return events
}

// helperRewrite is a dimension step: rounds times (out, rounds), once it
// reads a line, under the exclusive lock, it reads day1 of fact_events,
// says "read <n>", waits for a line, and rewrites the partition with what it
// read, as the dimension step rewrites the fact_sessions partitions it
// re-resolves. It says "round <n>" after each.
func helperRewrite(args []string, in *bufio.Reader) error {
	out := args[0]
	rounds, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	for n := range rounds {
		if err := waitForLine(in); err != nil {
			return err
		}
		err := Exclusive(out, func() error {
			rows, err := ReadRows[schemas.Event](out, "fact_events", []time.Time{day1})
			if err != nil {
				return err
			}
			fmt.Println("read", n)
			if err := waitForLine(in); err != nil {
				return err
			}
			runID := fmt.Sprintf("rewrite-%d", n)
			if err := Stage(out, runID, "fact_events", rows); err != nil {
				return err
			}
			_, err = Commit(out, runID, nil)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Println("round", n)
	}
	return nil
}

// A Recover in another process while a batch run is staging leaves the run's
// staging alone: the run then commits all it staged, rather than the rows
// staged after Recover over the good partition (the empty fact_events
// partition of the regression this guards against).
func TestRecoverSkipsLiveRun(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-0", "fact_events", anys(makeEvents("old", day1, 0, 40)))
	mustCommit(t, out, "run-0", nil)

	run := startHelper(t, "batch", out, "run-1", "2026-11-01")
	run.expect("staged")
	startHelper(t, "recover", out).mustExit()
	if ok, _ := exists(stagedDir(out, "run-1", "fact_events", "event_date=2026-11-01")); !ok {
		t.Error("Recover in another process deleted the staging of a live run")
	}
	run.proceed()
	run.expect("waiting")
	run.proceed()
	run.expect("committed")
	run.mustExit()

	if got, want := visible(t, out)[day1], ids(makeEvents("run-1", day1, 0, 20)); !slices.Equal(got, want) {
		t.Errorf("day1 of fact_events holds %d rows after the commit, want the run's %d", len(got), len(want))
	}
	if n, _ := CountRows(out, "bot_events", []time.Time{day1}); n[day1] != 3 {
		t.Errorf("day1 of bot_events holds %d rows, want 3", n[day1])
	}
	noStaging(t, out)
}

// A second batch run that owns some of the same dates fails at once, naming
// the lock and the run that holds it; one with other dates goes ahead; once
// the first run is killed, its lock is free and Recover removes its staging.
func TestSecondBatchRunFailsFast(t *testing.T) {
	out := t.TempDir()
	first := startHelper(t, "batch", out, "run-a", "2026-11-01,2026-11-02")
	first.expect("staged")
	host, _ := os.Hostname()

	for _, dates := range [][]time.Time{{day2, day3}, nil} {
		_, err := BeginRun(out, RunInfo{RunID: "run-b", Dates: dates})
		var conflict *RunConflictError
		if !errors.As(err, &conflict) {
			t.Fatalf("BeginRun with dates %v beside a live run of day1 and day2: %v, want a RunConflictError", dates, err)
		}
		if conflict.Holder.PID != first.cmd.Process.Pid || conflict.Holder.RunID != "run-a" || conflict.Lock != runLockPath(out, "run-a") {
			t.Errorf("conflict names %+v holding %s, want run-a, pid %d, %s", conflict.Holder, conflict.Lock, first.cmd.Process.Pid, runLockPath(out, "run-a"))
		}
		for _, want := range []string{"run-a", fmt.Sprint(first.cmd.Process.Pid), host, runLockPath(out, "run-a"), "2026-11-01,2026-11-02", "started 20"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not name %q", err, want)
			}
		}
		t.Logf("refused: %v", err)
		if ok, _ := exists(runDir(out, "run-b")); ok {
			t.Error("the refused run left its staging directory")
		}
	}
	// Another process is refused the same way.
	refused := startHelper(t, "batch", out, "run-c", "2026-11-02")
	if msg := refused.expect("refused"); !strings.Contains(msg, "run-a") {
		t.Errorf("the second process was refused with %q, which does not name run-a", msg)
	}
	refused.mustExit()

	other, err := BeginRun(out, RunInfo{RunID: "run-d", Dates: []time.Time{day3}})
	if err != nil {
		t.Fatalf("a run of other dates: %v", err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := BeginRun(out, RunInfo{RunID: "run-a", Dates: []time.Time{day3}}); !errors.Is(err, ErrRunInUse) {
		t.Errorf("BeginRun with the live run's id: %v, want ErrRunInUse", err)
	}

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.wait()
	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	noStaging(t, out)
	again, err := BeginRun(out, RunInfo{RunID: "run-b", Dates: []time.Time{day2}})
	if err != nil {
		t.Fatalf("after the first run was killed: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}

// A streaming process appends to day1 of fact_events while another process
// rewrites that partition from what it reads (as the dimension step does):
// every row whose delivery was emitted, the signal to acknowledge its
// message, is in the partition at the end. In each round the stream
// publishes a bundle between the rewrite's read and its commit: without the
// locks that bundle's file was swept away by the commit.
func TestStreamingAppendsSurviveRewrites(t *testing.T) {
	out := t.TempDir()
	stage(t, out, "run-0", "fact_events", anys(makeEvents("old", day1, 0, 10)))
	mustCommit(t, out, "run-0", nil)

	stream := startHelper(t, "stream", out, "stream-1")
	stream.expect("ready")
	const rounds = 15
	rewrite := startHelper(t, "rewrite", out, strconv.Itoa(rounds))
	var acked []string
	for n := range rounds {
		rewrite.proceed()
		rewrite.expect(fmt.Sprintf("read %d", n))
		stream.proceed()
		stream.expect(fmt.Sprintf("publishing %d", n))
		rewrite.proceed()
		rewrite.expect(fmt.Sprintf("round %d", n))
		stream.expect(fmt.Sprintf("acked %d", n))
		acked = append(acked, ids(streamed(n))...)
	}
	rewrite.mustExit()
	stream.say("stop")
	stream.mustExit()

	got := visible(t, out)[day1]
	var lost []string
	for _, id := range acked {
		if !slices.Contains(got, id) {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged rows are not in the partition, e.g. %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
	if want := 10 + len(acked); len(got) != want {
		t.Errorf("day1 holds %d rows, want %d", len(got), want)
	}
	t.Logf("%d rows acknowledged during %d rewrites", len(acked), rounds)
	if err := Recover(out); err != nil {
		t.Fatal(err)
	}
	noStaging(t, out)
}
