package pipelines

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/schemas"
)

// TestStreamingKilledMidStream kills the streaming pipeline (the real
// binary) with SIGKILL while messages are being published to the real
// Pub/Sub emulator, then runs it again on the same warehouse until every
// published message is acknowledged. The pipeline talks to the emulator
// through a recording proxy, so the test knows from the wire, not from the
// pipeline, which message each ack id stands for and which were
// acknowledged by which run. It checks:
//   - every published message is acknowledged (accounted for) across runs;
//   - every message the killed run acknowledged has all of its rows on disk
//     right after the kill, and every acknowledged message at the end;
//   - the rows written twice because their message was redelivered are
//     removed by the fact_events_current view (or by dedup), which holds
//     each event of the truth once;
//   - the run after the crash reconciles (exit 0).
//
// The killed run's leases would lapse after the ack deadline; the proxy
// gives them back at once instead (as Pub/Sub does when they lapse), so the
// test does not wait for it.
func TestStreamingKilledMidStream(t *testing.T) {
	emulator := startEmulator(t)
	bin := buildPipelineBinary(t)
	dir := t.TempDir()
	truth := generateSample(t, dir, "--seed", "9", "--events", "1500", "--days", "1", "--gzip", "0")
	lines := readRawLines(t, dir)

	const project, topic, sub = "crash-test", "raw-events", "clickstream"
	t.Setenv("PUBSUB_EMULATOR_HOST", emulator)
	ctx := context.Background()
	client, err := pubsub.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	topicName := "projects/" + project + "/topics/" + topic
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topicName}); err != nil {
		t.Fatal(err)
	}
	subName := "projects/" + project + "/subscriptions/" + sub
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: subName, Topic: topicName, AckDeadlineSeconds: 10,
	}); err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, emulator, subName)

	// A third is published before the first run starts, the rest while it
	// runs: the run is killed once the messages it has in flight start to
	// be acknowledged (so the rows of some of those still in flight are
	// likely written), while the last tenth is still to be published.
	pub := &publisher{client: client, topic: topicName, lines: lines, index: map[string]int{}}
	third, lastTenth := len(lines)/3, len(lines)-len(lines)/10
	pub.publish(t, 0, third)
	out := t.TempDir()
	run := pipelineRun{bin: bin, proxy: proxy.addr, project: project, sub: sub, out: out,
		denylist: filepath.Join(dir, "bot_ip_denylist.txt")}
	first := run.start(t, len(lines))
	proxy.waitFor(t, first, func(acked, _ int) bool { return acked >= third/2 })
	killed := make(chan struct{})
	published := make(chan error, 1)
	go func() {
		if err := pub.publishRange(third, lastTenth); err != nil {
			published <- err
			return
		}
		<-killed
		published <- pub.publishRange(lastTenth, len(lines))
	}()
	proxy.waitFor(t, first, func(acked, inFlight int) bool { return inFlight >= 50 || acked == lastTenth })
	batch := proxy.inFlight()
	proxy.waitFor(t, first, func(acked, _ int) bool { return proxy.ackedAny(batch) || acked == lastTenth })
	first.kill(t)
	publishedAtKill := len(pub.published())
	close(killed)
	inFlight := proxy.inFlight()
	ackedByFirst := proxy.ackedMessages()
	checkRows(t, out, lines, truth, pub.published(), ackedByFirst, false)
	written := withRows(t, out, lines, truth, pub.published(), inFlight)
	proxy.giveBackOutstanding(t)

	var runs []string
	for attempt := 0; proxy.unacked(len(lines)) > 0; attempt++ {
		if attempt == 3 {
			t.Fatalf("%d of %d messages still unacknowledged after %d runs", proxy.unacked(len(lines)), len(lines), attempt+1)
		}
		r := run.start(t, proxy.unacked(len(lines)))
		runs = append(runs, r.wait(t))
		if attempt == 0 {
			if err := <-published; err != nil {
				t.Fatal(err)
			}
		}
	}

	acked := proxy.ackedMessages()
	if len(acked) != len(lines) {
		t.Errorf("%d of %d published messages acknowledged", len(acked), len(lines))
	}
	for id, i := range pub.published() {
		if !acked[id] {
			t.Errorf("message %s (line %d) was published but never acknowledged", id, i)
		}
	}
	checkRows(t, out, lines, truth, pub.published(), acked, true)
	repeated, viewRows := checkCurrentEvents(t, out, truth)
	deliveries, redelivered := proxy.deliveryCounts()
	t.Logf("published %d messages; killed after %d were published, with %d in flight (%d of them with rows on disk), having acknowledged %d; the runs after it acknowledged %d (%s); "+
		"%d deliveries, %d messages delivered more than once; fact_events has %d repeated rows, "+
		"fact_events_current %d rows, one per event",
		len(lines), publishedAtKill, len(inFlight), written, len(ackedByFirst), len(acked)-len(ackedByFirst), strings.Join(runs, "; "),
		deliveries, redelivered, repeated, viewRows)
}

// rawLine is one published message: a line of the generated files.
type rawLine struct {
	file string // relative to the data directory, as in the truth
	line int64
	body []byte
}

func readRawLines(t *testing.T, dir string) []rawLine {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "raw", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []rawLine
	for _, f := range files {
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for n := int64(1); sc.Scan(); n++ {
			out = append(out, rawLine{file: filepath.ToSlash(rel), line: n, body: bytes.Clone(sc.Bytes())})
		}
	}
	return out
}

// publisher publishes lines in order, each with its received_at as the
// event_time attribute and its index as the seq attribute (which dead
// letters keep), and remembers the message ids.
type publisher struct {
	client *pubsub.Client
	topic  string
	lines  []rawLine

	mu    sync.Mutex
	index map[string]int // message id -> line index
}

func (p *publisher) publish(t *testing.T, from, to int) {
	t.Helper()
	if err := p.publishRange(from, to); err != nil {
		t.Fatal(err)
	}
}

// publishRange publishes lines [from, to).
func (p *publisher) publishRange(from, to int) error {
	pub := p.client.Publisher(p.topic)
	defer pub.Stop()
	ctx := context.Background()
	for i := from; i < to; i++ {
		var v struct {
			ReceivedAt string `json:"received_at"`
		}
		attrs := map[string]string{"seq": strconv.Itoa(i)}
		if json.Unmarshal(p.lines[i].body, &v) == nil && v.ReceivedAt != "" {
			attrs["event_time"] = v.ReceivedAt
		}
		id, err := pub.Publish(ctx, &pubsub.Message{Data: p.lines[i].body, Attributes: attrs}).Get(ctx)
		if err != nil {
			return fmt.Errorf("publish line %d: %w", i, err)
		}
		p.mu.Lock()
		p.index[id] = i
		p.mu.Unlock()
	}
	return nil
}

// published returns the line index of each message id published so far.
func (p *publisher) published() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.index)
}

// buildPipelineBinary builds pipelines/clickstream once for the test.
func buildPipelineBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "clickstream")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/example/clickstream/pipelines/clickstream").CombinedOutput()
	if err != nil {
		t.Fatalf("build the pipeline: %v\n%s", err, out)
	}
	return bin
}

// stuckAfter bounds every wait of the test: far more than a run of it
// takes on a loaded machine, so that a hung run fails instead of blocking.
const stuckAfter = 5 * time.Minute

// pipelineRun starts the streaming binary on the test's subscription.
type pipelineRun struct {
	bin, proxy, project, sub, out, denylist string
}

// runningPipeline is one started process of the binary.
type runningPipeline struct {
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan error
}

// syncBuffer is a process's output, readable while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (r pipelineRun) start(t *testing.T, maxMessages int) *runningPipeline {
	t.Helper()
	cmd := exec.Command(r.bin, "--mode=streaming", "--project="+r.project, "--subscription="+r.sub,
		"--timestamp_attribute=event_time", "--max_messages="+strconv.Itoa(maxMessages), "--output="+r.out,
		"--hash_key=env:CLICKSTREAM_E2E_KEY", "--bot_ip_file="+r.denylist)
	cmd.Env = append(os.Environ(), "PUBSUB_EMULATOR_HOST="+r.proxy, "CLICKSTREAM_E2E_KEY=e2e-test-key")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &runningPipeline{cmd: cmd, output: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return p
}

// kill sends SIGKILL to the run's process group and waits for it to end.
func (p *runningPipeline) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err == nil {
		t.Fatalf("the run ended by itself before it was killed:\n%s", p.output)
	}
}

// wait waits for a run that ends by itself, which must reconcile (exit 0),
// and returns its messages and acked counts.
func (p *runningPipeline) wait(t *testing.T) string {
	t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("run after the crash: %v\n%s", err, p.output)
		}
	case <-time.After(stuckAfter):
		t.Fatalf("the run after the crash did not end within %v:\n%s", stuckAfter, p.output)
	}
	summary := regexp.MustCompile(`(?m)^\s*(messages|acked)\s+(\d+)`).FindAllStringSubmatch(p.output.String(), -1)
	parts := make([]string, 0, len(summary))
	for _, m := range summary {
		parts = append(parts, m[1]+" "+m[2])
	}
	return strings.Join(parts, ", ")
}

// onDisk is what the warehouse holds, keyed for checking messages: the
// device/event ids of fact_events and bot_events, and the reasons of the
// dead letters by their message's seq attribute.
type onDisk struct {
	events    map[string]bool
	deadBySeq map[string][]string
}

func readDisk(t *testing.T, out string) onDisk {
	t.Helper()
	events, err := warehouse.ReadRows[schemas.Event](out, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	bots, err := warehouse.ReadRows[schemas.BotEvent](out, "bot_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := warehouse.ReadRows[schemas.DeadLetter](out, "dead_letter", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := onDisk{events: map[string]bool{}, deadBySeq: map[string][]string{}}
	for _, e := range events {
		d.events[e.DeviceID+"/"+e.EventID] = true
	}
	for _, b := range bots {
		d.events[b.DeviceID+"/"+b.EventID] = true
	}
	for _, dl := range dead {
		var attrs map[string]string
		if err := json.Unmarshal([]byte(dl.Attributes), &attrs); err != nil {
			t.Fatalf("dead letter attributes %q: %v", dl.Attributes, err)
		}
		d.deadBySeq[attrs["seq"]] = append(d.deadBySeq[attrs["seq"]], dl.Reason)
	}
	return d
}

// truthByLine indexes the truth by line, and counts the copies of each
// device/event id.
type truthByLine struct {
	records map[string][]groundtruth.Record
	copies  map[string]int
}

func indexTruth(truth []groundtruth.Record) truthByLine {
	ix := truthByLine{records: map[string][]groundtruth.Record{}, copies: map[string]int{}}
	for _, r := range truth {
		ix.copies[r.DeviceID+"/"+r.EventID]++
		key := fmt.Sprintf("%s:%d", r.File, r.Line)
		ix.records[key] = append(ix.records[key], r)
	}
	return ix
}

// missingRows returns the records of line i (the message with seq i) whose
// rows are not on disk, and how many were looked for. With unique, only
// events whose id has a single copy in the truth are looked for (see
// checkRows).
func (ix truthByLine) missingRows(t *testing.T, d onDisk, lines []rawLine, i int, unique bool) (missing []string, looked int) {
	t.Helper()
	records := ix.records[fmt.Sprintf("%s:%d", lines[i].file, lines[i].line)]
	if len(records) == 0 {
		t.Errorf("line %s:%d has no truth records", lines[i].file, lines[i].line)
	}
	for _, r := range records {
		switch r.Outcome {
		case "event", "bot", "duplicate":
			key := r.DeviceID + "/" + r.EventID
			if unique && ix.copies[key] > 1 {
				continue
			}
			looked++
			if !d.events[key] {
				missing = append(missing, fmt.Sprintf("%s %s in neither fact_events nor bot_events", r.Outcome, key))
			}
		case "dead_letter":
			looked++
			if !slices.Contains(d.deadBySeq[strconv.Itoa(i)], r.Reason) {
				missing = append(missing, fmt.Sprintf("no %s row in dead_letter", r.Reason))
			}
		default:
			t.Errorf("line %d: truth outcome %q not expected in streaming", i, r.Outcome)
		}
	}
	return missing, looked
}

// checkRows checks that every message in acked has its rows on disk: each
// event (or bot) of the message's line in fact_events or bot_events, each
// dead letter in dead_letter with its reason and the message's seq
// attribute. Right after a crash (final false) the events of duplicated
// event ids are skipped: a copy is acknowledged once it is decided a
// duplicate, while the copy whose row stays may belong to a message not
// acknowledged yet (it is redelivered and written by the next run).
func checkRows(t *testing.T, out string, lines []rawLine, truth []groundtruth.Record, lineOf map[string]int, acked map[string]bool, final bool) {
	t.Helper()
	d, ix := readDisk(t, out), indexTruth(truth)
	var looked, missing int
	for id := range acked {
		i, ok := lineOf[id]
		if !ok {
			t.Errorf("acknowledged message %s was not published by the test", id)
			continue
		}
		m, n := ix.missingRows(t, d, lines, i, !final)
		looked += n
		missing += len(m)
		for _, what := range m {
			t.Errorf("message %s (line %d) acknowledged, but %s", id, i, what)
		}
	}
	t.Logf("rows on disk for %d acknowledged messages (final %t): %d records looked for, %d missing", len(acked), final, looked, missing)
}

// withRows counts the messages of ids with all of their rows on disk.
func withRows(t *testing.T, out string, lines []rawLine, truth []groundtruth.Record, lineOf map[string]int, ids map[string]bool) int {
	t.Helper()
	d, ix := readDisk(t, out), indexTruth(truth)
	n := 0
	for id := range ids {
		if missing, _ := ix.missingRows(t, d, lines, lineOf[id], false); len(missing) == 0 {
			n++
		}
	}
	return n
}

// checkCurrentEvents queries fact_events and the fact_events_current view
// (sql/views) with DuckDB: the view holds each event of the truth that is
// not a bot exactly once (rate bots may be events in streaming), and
// nothing else. It returns the repeated rows of fact_events and the rows of
// the view.
func checkCurrentEvents(t *testing.T, out string, truth []groundtruth.Record) (repeated, viewRows int64) {
	t.Helper()
	ctx := context.Background()
	w, err := duck.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	body, err := os.ReadFile(filepath.Join("..", "sql", "views", "fact_events_current.sql"))
	if err != nil {
		t.Fatal(err)
	}
	view := regexp.MustCompile("`\\$\\{project\\}\\.\\$\\{dataset\\}\\.([a-z_]+)`").ReplaceAllString(string(body), "$1")
	if _, err := w.SQL().ExecContext(ctx, "CREATE VIEW fact_events_current AS "+view); err != nil {
		t.Fatal(err)
	}
	if err := w.SQL().QueryRowContext(ctx,
		"SELECT COUNT(*) - COUNT(DISTINCT (device_id, event_id)) FROM fact_events").Scan(&repeated); err != nil {
		t.Fatal(err)
	}
	rows, err := w.SQL().QueryContext(ctx, "SELECT device_id, event_id FROM fact_events_current")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	current := map[string]int{}
	for rows.Next() {
		var device, id string
		if err := rows.Scan(&device, &id); err != nil {
			t.Fatal(err)
		}
		current[device+"/"+id]++
		viewRows++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	rateBots := map[string]bool{}
	for _, r := range truth {
		switch {
		case r.Outcome == "event":
			want[r.DeviceID+"/"+r.EventID] = true
		case r.Outcome == "bot" && r.BotRule == schemas.BotRuleRate:
			rateBots[r.DeviceID+"/"+r.EventID] = true
		}
	}
	for key, n := range current {
		if n > 1 {
			t.Errorf("fact_events_current holds %s %d times", key, n)
		}
		if !want[key] && !rateBots[key] {
			t.Errorf("fact_events_current holds %s, which the truth does not make an event", key)
		}
	}
	for key := range want {
		if current[key] == 0 {
			t.Errorf("event %s is missing from fact_events_current", key)
		}
	}
	return repeated, viewRows
}

// pubsubProxy stands between the pipeline and the emulator for the
// Subscriber calls the pipeline makes (Pull, ModifyAckDeadline,
// Acknowledge), forwards them, and records which message each ack id
// stands for, which were acknowledged and which are still leased. Forwarded
// calls do not end with the caller: a killed pipeline's last acknowledgement
// either reaches the emulator and is recorded, or neither.
type pubsubProxy struct {
	pubsubpb.UnimplementedSubscriberServer
	addr, sub string
	upstream  pubsubpb.SubscriberClient

	mu          sync.Mutex
	messageOf   map[string]string // ack id -> message id
	outstanding map[string]bool   // ack ids pulled, neither acked nor given back
	deliveries  map[string]int    // message id -> times pulled
	acked       map[string]bool   // message ids acknowledged
	// changed is signalled after every change to the counts above.
	changed chan struct{}
}

// signal tells a waitFor that the counts changed.
func (p *pubsubProxy) signal() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

func startProxy(t *testing.T, emulator, sub string) *pubsubProxy {
	t.Helper()
	conn, err := grpc.NewClient(emulator, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pubsubProxy{
		addr: l.Addr().String(), sub: sub, upstream: pubsubpb.NewSubscriberClient(conn),
		messageOf: map[string]string{}, outstanding: map[string]bool{}, deliveries: map[string]int{}, acked: map[string]bool{},
		changed: make(chan struct{}, 1),
	}
	srv := grpc.NewServer()
	pubsubpb.RegisterSubscriberServer(srv, p)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return p
}

// detached keeps ctx's deadline but not its cancellation.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	d := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(d, deadline)
	}
	return context.WithCancel(d)
}

func (p *pubsubProxy) Pull(ctx context.Context, req *pubsubpb.PullRequest) (*pubsubpb.PullResponse, error) {
	ctx, cancel := detached(ctx)
	defer cancel()
	resp, err := p.upstream.Pull(ctx, req)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range resp.GetReceivedMessages() {
		id := m.GetMessage().GetMessageId()
		p.messageOf[m.GetAckId()] = id
		p.outstanding[m.GetAckId()] = true
		p.deliveries[id]++
	}
	p.signal()
	return resp, nil
}

func (p *pubsubProxy) Acknowledge(ctx context.Context, req *pubsubpb.AcknowledgeRequest) (*emptypb.Empty, error) {
	ctx, cancel := detached(ctx)
	defer cancel()
	resp, err := p.upstream.Acknowledge(ctx, req)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range req.GetAckIds() {
		p.acked[p.messageOf[a]] = true
		delete(p.outstanding, a)
	}
	p.signal()
	return resp, nil
}

func (p *pubsubProxy) ModifyAckDeadline(ctx context.Context, req *pubsubpb.ModifyAckDeadlineRequest) (*emptypb.Empty, error) {
	ctx, cancel := detached(ctx)
	defer cancel()
	resp, err := p.upstream.ModifyAckDeadline(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.GetAckDeadlineSeconds() == 0 {
		p.mu.Lock()
		for _, a := range req.GetAckIds() {
			delete(p.outstanding, a)
		}
		p.mu.Unlock()
		p.signal()
	}
	return resp, nil
}

// counts returns the messages acknowledged and the ack ids in flight.
func (p *pubsubProxy) counts() (acked, inFlight int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked), len(p.outstanding)
}

// inFlight returns the message ids pulled and neither acknowledged nor
// given back.
func (p *pubsubProxy) inFlight() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for a := range p.outstanding {
		out[p.messageOf[a]] = true
	}
	return out
}

// ackedAny reports whether any of ids is acknowledged.
func (p *pubsubProxy) ackedAny(ids map[string]bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id := range ids {
		if p.acked[id] {
			return true
		}
	}
	return false
}

// waitFor waits until cond holds for the counts, checking it each time they
// change, failing if run ends first or if it does not hold within
// stuckAfter.
func (p *pubsubProxy) waitFor(t *testing.T, run *runningPipeline, cond func(acked, inFlight int) bool) {
	t.Helper()
	stuck := time.After(stuckAfter)
	for {
		acked, inFlight := p.counts()
		if cond(acked, inFlight) {
			return
		}
		select {
		case err := <-run.done:
			t.Fatalf("the first run ended (%v) before it was killed, with %d messages acknowledged, %d in flight:\n%s",
				err, acked, inFlight, run.output)
		case <-stuck:
			t.Fatalf("no progress in %v: %d messages acknowledged, %d in flight:\n%s", stuckAfter, acked, inFlight, run.output)
		case <-p.changed:
		}
	}
}

// giveBackOutstanding gives back the leases a killed run held, as their
// lapse would.
func (p *pubsubProxy) giveBackOutstanding(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	ids := make([]string, 0, len(p.outstanding))
	for a := range p.outstanding {
		ids = append(ids, a)
	}
	p.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	if _, err := p.ModifyAckDeadline(context.Background(), &pubsubpb.ModifyAckDeadlineRequest{
		Subscription: p.sub, AckIds: ids, AckDeadlineSeconds: 0,
	}); err != nil {
		t.Fatal(err)
	}
}

func (p *pubsubProxy) ackedMessages() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.acked)
}

// unacked is how many of n published messages are not acknowledged yet.
func (p *pubsubProxy) unacked(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return n - len(p.acked)
}

// deliveryCounts returns the pulls' messages in all and how many messages
// were delivered more than once.
func (p *pubsubProxy) deliveryCounts() (deliveries, redelivered int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range p.deliveries {
		deliveries += n
		if n > 1 {
			redelivered++
		}
	}
	return deliveries, redelivered
}
