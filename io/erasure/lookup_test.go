package erasure_test

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

const lookupKey = "lookup-test-key"

var lookupReceived = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// lookupUserKey is the user_key the run's key gives userID.
func lookupUserKey(t *testing.T, userID string) string {
	t.Helper()
	p, err := pseudonym.New([]byte(lookupKey), pseudonym.IPMode("truncate"))
	if err != nil {
		t.Fatal(err)
	}
	return p.UserKey(userID)
}

// writeLookupRequests writes filed requests as a requests file at path.
func writeLookupRequests(t *testing.T, path string, filed ...erasure.Filed) {
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

// Keys reads a requests file (user ids hashed with the run's key) and a
// warehouse's erasure_requests table (keys as filed, every key version);
// no requests is no keys.
func TestLookupKeys(t *testing.T) {
	t.Setenv("LOOKUP_TEST_KEY", lookupKey)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "requests.jsonl")
	writeLookupRequests(t, file,
		erasure.Filed{RequestID: "r1", UserID: "u-1", ReceivedAt: lookupReceived},
		erasure.Filed{RequestID: "r2", DeviceID: "d-9", ReceivedAt: lookupReceived})
	out := t.TempDir()
	if err := erasure.File(out, "file-1", []schemas.ErasureRequest{
		{RequestID: "r3", ReceivedAt: lookupReceived, UserKeys: []string{"k-new", "k-old"}},
		{RequestID: "r4", ReceivedAt: lookupReceived, DeviceID: "d-7"},
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, requests string
		want           []string
	}{
		{"none", "", nil},
		{"requests file", file, []string{"d-9", lookupUserKey(t, "u-1")}},
		{"warehouse", out, []string{"d-7", "k-new", "k-old"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := erasure.Lookup{Requests: c.requests, HashKeyRef: "env:LOOKUP_TEST_KEY"}.Keys(ctx)
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
	if _, err := (erasure.Lookup{Requests: filepath.Join(t.TempDir(), "missing")}).Keys(ctx); err == nil {
		t.Error("a missing requests file loaded without error")
	}
}

// Keys reads the erasure_requests table on BigQuery (the in-process fake).
func TestLookupKeysBigQuery(t *testing.T) {
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
	got, err := erasure.Lookup{Requests: erasure.OnBigQuery, Project: "demo", Dataset: "clickstream", Endpoint: srv.URL()}.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"d-7", "k-new", "k-old"}; !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}
