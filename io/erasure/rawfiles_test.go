package erasure

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/iterator"

	"github.com/example/clickstream/schemas"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRewriteGCSObject erases lines from a gzip raw object in a versioned
// bucket of fake-gcs-server: the erased row's line and a line sending the
// erased device are blanked, the others are unchanged, the object keeps
// its original age as customTime, no old generation survives, and applying
// the plan again changes nothing.
func TestRewriteGCSObject(t *testing.T) {
	ctx := context.Background()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "archive", VersioningEnabled: true})
	lines := []string{
		`{"event_id":"e1","device_id":"dev-a","user_id":"u-1"}`,
		`{"event_id":"e2","device_id":"dev-keep","user_id":"u-2"}`,
		`{"event_id":"e3","device_id":"dev-erased"}`,
		`{"event_id":"e4","device_id":"dev-keep"}`,
	}
	created := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)
	const name = "raw/2026-03-01/part-0.jsonl.gz"
	srv.CreateObject(fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "archive", Name: name, ContentType: "application/gzip", Created: created},
		Content:     gzipped(t, strings.Join(lines, "\n")+"\n"),
	})
	path := "gs://archive/" + name
	raw := &rawFiles{client: srv.Client()}
	subjects := []*subject{{request: schemas.ErasureRequest{RequestID: "r1"}, keys: map[string]bool{},
		devices: map[string]bool{"dev-erased": true}}}
	// Line 1 is an erased row's (its source_line); line 3 sends the erased
	// device.
	plan, err := planRaw(ctx, raw, rawTargets{path: {1: "r1"}}, subjects, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan[path]; len(got) != 2 || got[1] != "r1" || got[3] != "r1" {
		t.Fatalf("plan = %v, want lines 1 and 3 of %s", plan, path)
	}
	if err := plan.apply(ctx, raw); err != nil {
		t.Fatal(err)
	}
	obj := srv.Client().Bucket("archive").Object(name)
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "\n" + lines[1] + "\n\n" + lines[3] + "\n"
	if got := readGzipObject(t, obj); got != want {
		t.Errorf("rewritten object:\n%q\nwant\n%q", got, want)
	}
	if !attrs.CustomTime.Equal(created) {
		t.Errorf("customTime = %v, want the original creation time %v", attrs.CustomTime, created)
	}
	if attrs.ContentType != "application/gzip" {
		t.Errorf("content type = %q, want the original's", attrs.ContentType)
	}
	if gens := generations(ctx, t, srv.Client(), name); len(gens) != 1 || gens[0] != attrs.Generation {
		t.Errorf("generations = %v, want only the rewritten one %d", gens, attrs.Generation)
	}

	if err := plan.apply(ctx, raw); err != nil {
		t.Fatal(err)
	}
	again, err := obj.Attrs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Generation != attrs.Generation {
		t.Errorf("a second apply wrote generation %d over %d", again.Generation, attrs.Generation)
	}
}

// TestRewriteGCSObjectKeepsCustomTime: an object rewritten before keeps
// the customTime it carries rather than its own (later) creation time.
func TestRewriteGCSObjectKeepsCustomTime(t *testing.T) {
	ctx := context.Background()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "archive"})
	age := time.Date(2025, 12, 24, 0, 0, 0, 0, time.UTC)
	srv.CreateObject(fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "archive", Name: "a.jsonl", CustomTime: age,
			Created: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		Content: []byte("{\"device_id\":\"d1\"}\n{\"device_id\":\"d2\"}\n"),
	})
	raw := &rawFiles{client: srv.Client()}
	if err := (rawPlan{"gs://archive/a.jsonl": {2: "r"}}).apply(ctx, raw); err != nil {
		t.Fatal(err)
	}
	attrs, err := srv.Client().Bucket("archive").Object("a.jsonl").Attrs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !attrs.CustomTime.Equal(age) {
		t.Errorf("customTime = %v, want %v", attrs.CustomTime, age)
	}
	rd, err := srv.Client().Bucket("archive").Object("a.jsonl").NewReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"device_id\":\"d1\"}\n\n"; string(got) != want {
		t.Errorf("object = %q, want %q", got, want)
	}
}

func readGzipObject(t *testing.T, obj *storage.ObjectHandle) string {
	t.Helper()
	data, err := readObject(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(plain)
}

// generations lists the generations the bucket holds of one object, live
// and noncurrent.
func generations(ctx context.Context, t *testing.T, c *storage.Client, name string) []int64 {
	t.Helper()
	var gens []int64
	it := c.Bucket("archive").Objects(ctx, &storage.Query{Prefix: name, Versions: true})
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return gens
		}
		if err != nil {
			t.Fatal(err)
		}
		gens = append(gens, a.Generation)
	}
}

// TestVerifyGCS finds the traces a gs:// glob's objects hold (a gzip one
// included), by object and line, and none in objects the glob does not
// match: one a level deeper ('*' stops at '/') or outside its prefix.
func TestVerifyGCS(t *testing.T) {
	ctx := context.Background()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "archive"})
	for name, content := range map[string][]byte{
		"raw/dt=2026-11-01/part-0.jsonl.gz":  gzipped(t, "{\"device_id\":\"d1\"}\n{\"user_key\":\"uk-1\"}\n"),
		"raw/dt=2026-11-01/part-1.jsonl":     []byte("{\"user_id\":\"u-raw\"}\n\n{\"device_id\":\"dev-x\"}\n"),
		"raw/dt=2026-11-02/part-0.jsonl":     []byte("{\"device_id\":\"d2\"}\n"),
		"raw/dt=2026-11-02/sub/part-0.jsonl": []byte("{\"device_id\":\"dev-x\"}\n"),
		"other/part-0.jsonl":                 []byte("{\"user_key\":\"uk-1\"}\n"),
	} {
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "archive", Name: name}, Content: content})
	}
	requests := []schemas.ErasureRequest{{RequestID: "r1", UserKeys: []string{"uk-1"}}, {RequestID: "r2", DeviceID: "dev-x"}}
	hits, err := Verify(ctx, srv.Client(), "", []string{"gs://archive/raw/*/part-*"}, requests, "u-raw")
	if err != nil {
		t.Fatal(err)
	}
	want := []Hit{
		{Where: "gs://archive/raw/dt=2026-11-01/part-0.jsonl.gz", Row: 2, Needle: "uk-1"},
		{Where: "gs://archive/raw/dt=2026-11-01/part-1.jsonl", Row: 1, Needle: "u-raw"},
		{Where: "gs://archive/raw/dt=2026-11-01/part-1.jsonl", Row: 3, Needle: "dev-x"},
	}
	if !slices.Equal(hits, want) {
		t.Errorf("hits %+v, want %+v", hits, want)
	}
	if _, err := Verify(ctx, srv.Client(), "", []string{"gs://archive/raw/[/*"}, requests); err == nil {
		t.Error("a malformed gs:// glob was accepted")
	}
}
