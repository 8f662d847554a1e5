package pipelines

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"

	"github.com/example/clickstream/internal/groundtruth"
	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/pubsubsource"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// erasureRequests writes into dir a requests file naming the first people
// (user ids) and devices (of anonymous events) of truth's accepted events,
// on devices the rate rule leaves alone (erasing a device's events must
// not change what the rule makes of the rest), and returns its path and
// the truth of the records to be erased: every record that parses (is not
// a dead letter) and carries one of them.
func erasureRequests(t *testing.T, dir string, truth []groundtruth.Record, people, devices int) (string, map[string]groundtruth.Record) {
	t.Helper()
	rateDevices := map[string]bool{}
	for _, r := range truth {
		if r.Outcome == "bot" && r.BotRule == schemas.BotRuleRate {
			rateDevices[r.DeviceID] = true
		}
	}
	users, devs := map[string]bool{}, map[string]bool{}
	var filed []erasure.Filed
	received := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, r := range truth {
		if r.Outcome != "event" || rateDevices[r.DeviceID] {
			continue
		}
		switch {
		case r.UserID != nil && len(users) < people && !users[*r.UserID]:
			users[*r.UserID] = true
			filed = append(filed, erasure.Filed{RequestID: fmt.Sprintf("person-%d", len(users)), UserID: *r.UserID, ReceivedAt: received})
		case r.UserID == nil && len(devs) < devices && !devs[r.DeviceID]:
			devs[r.DeviceID] = true
			filed = append(filed, erasure.Filed{RequestID: fmt.Sprintf("device-%d", len(devs)), DeviceID: r.DeviceID, ReceivedAt: received})
		}
	}
	if len(users) < people || len(devs) < devices {
		t.Fatalf("the sample has %d people and %d devices to erase, the test needs %d and %d", len(users), len(devs), people, devices)
	}
	path := filepath.Join(dir, "requests.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, r := range filed {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	erased := map[string]groundtruth.Record{}
	for _, r := range truth {
		if r.Outcome != "dead_letter" && (devs[r.DeviceID] || r.UserID != nil && users[*r.UserID]) {
			erased[r.Key()] = r
		}
	}
	return path, erased
}

// countErased counts the erased records with outcome in truth.
func countErased(erased map[string]groundtruth.Record, outcome string) int64 {
	var n int64
	for _, r := range erased {
		if r.Outcome == outcome {
			n++
		}
	}
	return n
}

// TestBatchErased runs the batch pipeline with erasure requests naming
// three people and two devices of the shared sample: their events,
// duplicates and bots are counted erased and are in no table, every other
// record ends as the truth says, and the run reconciles with erased in its
// summary, runs row and run_outcomes.
func TestBatchErased(t *testing.T) {
	g := sample
	c := g.config(t)
	path, erased := erasureRequests(t, t.TempDir(), g.truth, 3, 2)
	c.ErasureRequests = path
	sum := runReconciled(t, c)
	if sum.Erased != int64(len(erased)) || countErased(erased, "event") == 0 {
		t.Errorf("erased = %d, truth %d records of the requests (%d accepted events)", sum.Erased, len(erased), countErased(erased, "event"))
	}
	got := outcomes(t, c.Output, g.dir)
	for key, r := range erased {
		if o, stored := got[key]; stored {
			t.Errorf("%s (%s, device %s) erased, yet stored as %+v", key, r.Outcome, r.DeviceID, o)
		}
	}
	if want := int64(countOutcome(g.truth, "event")) - countErased(erased, "event"); sum.Events != want {
		t.Errorf("events = %d, truth %d once the erased are dropped", sum.Events, want)
	}

	t.Logf("%d records erased (%d events, %d duplicates, %d bots) of %d", sum.Erased,
		countErased(erased, "event"), countErased(erased, "duplicate"), countErased(erased, "bot"), sum.InputRecords)

	runs, err := warehouse.ReadRows[schemas.Run](c.Output, "runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	outcomeRows, err := warehouse.ReadRows[schemas.RunOutcome](c.Output, "run_outcomes", nil)
	if err != nil {
		t.Fatal(err)
	}
	var runErased, outcomeErased int64 = -1, -1
	for _, r := range runs {
		if r.RunID == sum.RunID {
			runErased = r.Erased
		}
	}
	for _, o := range outcomeRows {
		if o.RunID == sum.RunID && o.Outcome == schemas.TallyErased {
			outcomeErased = o.Records
		}
	}
	if runErased != sum.Erased || outcomeErased != sum.Erased {
		t.Errorf("runs.erased %d, run_outcomes erased %d, summary %d", runErased, outcomeErased, sum.Erased)
	}
}

// TestStreamingErased files erasure requests, then publishes a generated
// day to pstest and streams it into the local warehouse: the events of the
// people and devices named, published after the request, are counted
// erased (per publish minute too, which must balance), their messages are
// acknowledged, and no row of theirs is in fact_events, bot_events or
// dead_letter.
func TestStreamingErased(t *testing.T) {
	srv := pstest.NewServer()
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	dir := t.TempDir()
	truth := generateSample(t, dir, "--seed", "12", "--events", "3000", "--days", "1", "--gzip", "0")
	path, erased := erasureRequests(t, t.TempDir(), truth, 3, 2)
	c := publishSample(t, dir, "demo", "raw-events", "clickstream")
	c.ErasureRequests = path
	sum := runReconciled(t, c)
	if sum.Messages != c.PubSub.MaxMessages || sum.Acked != sum.Messages {
		t.Errorf("messages read %d, acked %d, published %d", sum.Messages, sum.Acked, c.PubSub.MaxMessages)
	}
	if sum.Erased != int64(len(erased)) || countErased(erased, "event") == 0 {
		t.Errorf("erased = %d, truth %d records of the requests (%d accepted events)", sum.Erased, len(erased), countErased(erased, "event"))
	}
	t.Logf("%d records erased (%d events) of %d, %d messages, %d minutes reconciled", sum.Erased,
		countErased(erased, "event"), sum.InputRecords, sum.Messages, len(sum.Intervals))
	ids := map[string]bool{}
	for _, r := range erased {
		ids[r.DeviceID+"/"+r.EventID] = true
	}
	events, err := warehouse.ReadRows[schemas.Event](c.Output, "fact_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	bots, err := warehouse.ReadRows[schemas.BotEvent](c.Output, "bot_events", nil)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := warehouse.ReadRows[schemas.DeadLetter](c.Output, "dead_letter", nil)
	if err != nil {
		t.Fatal(err)
	}
	holds := func(table, device, event string) {
		if ids[device+"/"+event] {
			t.Errorf("%s holds erased event %s/%s", table, device, event)
		}
	}
	for _, e := range events {
		holds("fact_events", e.DeviceID, e.EventID)
	}
	for _, b := range bots {
		holds("bot_events", b.DeviceID, b.EventID)
	}
	for _, d := range dead {
		holds("dead_letter", d.DeviceID, d.EventID)
	}
	if int64(len(events)) != sum.Events {
		t.Errorf("fact_events holds %d rows, summary says %d", len(events), sum.Events)
	}
}

// TestErasedRefresh: in streaming, a request filed after the filter read
// the requests takes effect once the keys in hand are ErasureRefresh old,
// not before.
func TestErasedRefresh(t *testing.T) {
	t.Setenv("CLICKSTREAM_E2E_KEY", "e2e-test-key")
	p, err := pseudonym.New([]byte("e2e-test-key"), pseudonym.IPMode("truncate"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	now := t0
	fn := &refreshedErasedFn{Lookup: erasure.Lookup{Requests: file, HashKeyRef: "env:CLICKSTREAM_E2E_KEY"},
		Every: DefaultErasureRefresh, now: func() time.Time { return now }}
	fn.Setup()
	late := schemas.Event{EventID: "e9", DeviceID: "d-1", UserKey: p.UserKey("u-1")}
	outcome := func() string {
		var got string
		err := fn.ProcessElement(context.Background(), late,
			func(schemas.Event) { got = "kept" }, func(schemas.Event) { got = "erased" })
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := outcome(); got != "kept" {
		t.Fatalf("no request yet: %s", got)
	}
	line, err := json.Marshal(erasure.Filed{RequestID: "r1", UserID: "u-1", ReceivedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(line, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(DefaultErasureRefresh - time.Second)
	if got := outcome(); got != "kept" {
		t.Errorf("before the refresh interval: %s, want kept (the keys in hand)", got)
	}
	now = t0.Add(DefaultErasureRefresh)
	if got := outcome(); got != "erased" {
		t.Errorf("one refresh interval after the request: %s, want erased", got)
	}
}

// TestBatchBigQueryErased runs the batch pipeline into the BigQuery fake
// with --erasure_requests=bigquery: two devices named in the dataset's
// erasure_requests table have their events counted erased and in no table,
// and the run reconciles with erased in its runs row.
func TestBatchBigQueryErased(t *testing.T) {
	var erased map[string]groundtruth.Record
	b := runBigQueryBatchWith(t, func(srv *bqfake.Server, truth []groundtruth.Record) {
		var path string
		path, erased = erasureRequests(t, t.TempDir(), truth, 0, 2)
		fileBigQueryRequests(t, srv, path)
	}, func(c *Config) { c.ErasureRequests = erasure.OnBigQuery })
	if !b.sum.Reconciled {
		t.Fatalf("not reconciled: %v", b.sum.Problems)
	}
	if b.sum.Erased != int64(len(erased)) || countErased(erased, "event") == 0 {
		t.Errorf("erased = %d, truth %d records of the requests (%d accepted events)", b.sum.Erased, len(erased), countErased(erased, "event"))
	}
	t.Logf("%d records erased (%d events) of %d", b.sum.Erased, countErased(erased, "event"), b.sum.InputRecords)
	devices := map[string]bool{}
	for _, r := range erased {
		devices[r.DeviceID] = true
	}
	for _, table := range []string{"fact_events", "bot_events", "dead_letter", "fact_sessions"} {
		for _, row := range b.srv.Rows("clickstream", table) {
			if d, _ := row["device_id"].(string); devices[d] {
				t.Errorf("%s holds a row of erased device %s", table, d)
			}
		}
	}
	runs := b.srv.Rows("clickstream", "runs")
	if len(runs) != 1 || fmt.Sprint(runs[0]["erased"]) != fmt.Sprint(b.sum.Erased) {
		t.Errorf("runs rows %v, want one with erased %d", runs, b.sum.Erased)
	}
}

// fileBigQueryRequests creates erasure_requests in the fake and inserts the
// device requests of the requests file at path.
func fileBigQueryRequests(t *testing.T, srv *bqfake.Server, path string) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	filed, err := erasure.ReadFiled(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	client, err := bqwarehouse.NewClient(ctx, "demo", "clickstream", srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	if err := bqwarehouse.EnsureTables(ctx, client, "clickstream", []schemas.Table{schemas.MustTable("erasure_requests")}, true); err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, f := range filed {
		if f.DeviceID == "" {
			t.Fatalf("request %s names no device", f.RequestID)
		}
		values = append(values, fmt.Sprintf("('%s', TIMESTAMP '2026-12-01 09:00:00', [], '%s')", f.RequestID, f.DeviceID))
	}
	job, err := client.Query("INSERT INTO clickstream.erasure_requests (request_id, received_at, user_keys, device_id) VALUES " +
		strings.Join(values, ", ")).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status, err := job.Wait(ctx); err != nil || status.Err() != nil {
		t.Fatal(err, status.Err())
	}
}

// TestErasureRequestsChecked: requests that cannot be read stop the run
// before any work, in either mode, and a bigquery lookup needs the
// BigQuery sink.
func TestErasureRequestsChecked(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(bad, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	batch := sample.config(t)
	streaming := Config{Mode: schemas.ModeStreaming, Output: t.TempDir(), HashKeyRef: batch.HashKeyRef,
		PubSub: pubsubsource.ReadOptions{Project: "demo", Subscription: "clickstream"}}
	for _, c := range []struct {
		name     string
		config   Config
		requests string
	}{
		{"batch, missing file", batch, filepath.Join(t.TempDir(), "missing.jsonl")},
		{"streaming, malformed file", streaming, bad},
		{"bigquery without the BigQuery sink", batch, erasure.OnBigQuery},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.config.ErasureRequests = c.requests
			if sum, err := Run(context.Background(), c.config); err == nil || !strings.Contains(err.Error(), "erasure_requests") && !strings.Contains(err.Error(), c.requests) {
				t.Errorf("run with --erasure_requests=%s: summary %v, error %v; want an error naming them", c.requests, sum, err)
			}
		})
	}
}
