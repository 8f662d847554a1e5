package erased

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/schemas"
)

const testKey = "erased-test-key"

// userKey is the user_key the run's key gives userID.
func userKey(t *testing.T, userID string) string {
	t.Helper()
	p, err := pseudonym.New([]byte(testKey), pseudonym.IPMode("truncate"))
	if err != nil {
		t.Fatal(err)
	}
	return p.UserKey(userID)
}

// writeRequests writes filed requests as a requests file at path.
func writeRequests(t *testing.T, path string, filed ...erasure.Filed) {
	t.Helper()
	var b []byte
	for _, f := range filed {
		line, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, line...), '\n')
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Load reads a requests file (user ids hashed with the run's key) and a
// warehouse's erasure_requests table (keys as filed, every key version);
// no requests is no keys.
func TestLoad(t *testing.T) {
	t.Setenv("ERASED_TEST_KEY", testKey)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "requests.jsonl")
	writeRequests(t, file,
		erasure.Filed{RequestID: "r1", UserID: "u-1", ReceivedAt: t0},
		erasure.Filed{RequestID: "r2", DeviceID: "d-9", ReceivedAt: t0})
	out := t.TempDir()
	if err := erasure.File(out, "file-1", []schemas.ErasureRequest{
		{RequestID: "r3", ReceivedAt: t0, UserKeys: []string{"k-new", "k-old"}},
		{RequestID: "r4", ReceivedAt: t0, DeviceID: "d-7"},
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, requests string
		want           []string
	}{
		{"none", "", nil},
		{"requests file", file, []string{"d-9", userKey(t, "u-1")}},
		{"warehouse", out, []string{"d-7", "k-new", "k-old"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Source{Requests: c.requests, HashKeyRef: "env:ERASED_TEST_KEY"}.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			slices.Sort(c.want)
			if !slices.Equal(got, c.want) {
				t.Errorf("keys %v, want %v", got, c.want)
			}
		})
	}
	if _, err := (Source{Requests: filepath.Join(t.TempDir(), "missing")}).Load(ctx); err == nil {
		t.Error("a missing requests file loaded without error")
	}
}

// A request filed after the keys were read takes effect once they are
// Every old, not before.
func TestRefresh(t *testing.T) {
	t.Setenv("ERASED_TEST_KEY", testKey)
	file := filepath.Join(t.TempDir(), "requests.jsonl")
	writeRequests(t, file)
	now := t0
	fn := &refreshFn{Source: Source{Requests: file, HashKeyRef: "env:ERASED_TEST_KEY"}, Every: 5 * time.Minute,
		now: func() time.Time { return now }}
	fn.Setup()
	late := event("e9", "d-1", userKey(t, "u-1"))
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
	writeRequests(t, file, erasure.Filed{RequestID: "r1", UserID: "u-1", ReceivedAt: t0})
	now = t0.Add(5*time.Minute - time.Second)
	if got := outcome(); got != "kept" {
		t.Errorf("before the refresh interval: %s, want kept (the keys in hand)", got)
	}
	now = t0.Add(5 * time.Minute)
	if got := outcome(); got != "erased" {
		t.Errorf("one refresh interval after the request: %s, want erased", got)
	}
}

// Load reads the erasure_requests table on BigQuery (the in-process fake).
func TestLoadBigQuery(t *testing.T) {
	ctx := context.Background()
	srv := bqfake.NewServer("demo")
	t.Cleanup(srv.Close)
	srv.AddDataset("clickstream", "US")
	client, err := bqwarehouse.NewClient(ctx, "demo", "clickstream", srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	if err := bqwarehouse.EnsureTables(ctx, client, "clickstream", []schemas.Table{schemas.MustTable("erasure_requests")}, true); err != nil {
		t.Fatal(err)
	}
	job, err := client.Query(`INSERT INTO clickstream.erasure_requests (request_id, received_at, user_keys, device_id)
		VALUES ('r1', TIMESTAMP '2026-12-01 09:00:00', ['k-new', 'k-old'], NULL), ('r2', TIMESTAMP '2026-12-01 09:05:00', [], 'd-7')`).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status, err := job.Wait(ctx); err != nil || status.Err() != nil {
		t.Fatal(err, status.Err())
	}
	got, err := Source{Requests: BigQueryRequests, Project: "demo", Dataset: "clickstream", Endpoint: srv.URL()}.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"d-7", "k-new", "k-old"}; !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}
