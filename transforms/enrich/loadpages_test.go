package enrich

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/example/clickstream/internal/gcstest"
	"github.com/example/clickstream/schemas"
)

// TestLoadPageTypes: the rules file is read through Beam's filesystems, a
// local path or a gs:// URL (so a Dataflow launch and tools/erase can name
// one in Cloud Storage); no file means the built-in rules; a missing file,
// a bad rule or an oversized file is an error naming it.
func TestLoadPageTypes(t *testing.T) {
	const rules = "# ours\nlookbook ^/looks/\nproduct ^/p/\n"
	want := []schemas.PageTypeRule{{Type: "lookbook", Pattern: "^/looks/"}, {Type: "product", Pattern: "^/p/"}}
	server := gcstest.Serve(t, "config")
	for name, content := range map[string]string{"pages.txt": rules, "bad.txt": "product ^/p/(\n",
		"huge.txt": strings.Repeat("# padding\n", 110_000)} {
		server.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "config", Name: name}, Content: []byte(content)})
	}
	local := filepath.Join(t.TempDir(), "pages.txt")
	if err := os.WriteFile(local, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, path := range []string{"gs://config/pages.txt", local} {
		got, err := LoadPageTypes(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Rules(), want) {
			t.Errorf("%s: rules %+v, want %+v", path, got, want)
		}
	}
	builtin, err := LoadPageTypes(ctx, "")
	if err != nil || !reflect.DeepEqual(builtin.Rules(), DefaultPageTypes().Rules()) {
		t.Errorf("no file: %v, want the built-in rules", err)
	}
	for _, path := range []string{"gs://config/missing.txt", "gs://config/bad.txt", "gs://config/huge.txt"} {
		if _, err := LoadPageTypes(ctx, path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming it", path, err)
		}
	}
}
