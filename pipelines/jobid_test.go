package pipelines

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// On Dataflow the run's account names its job: the id comes from the
// worker VM's metadata attribute job_id, as Dataflow sets it.
func TestDataflowJobID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" || r.URL.Path != "/computeMetadata/v1/instance/attributes/job_id" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("2026-12-04_05_06_07-123456789\n"))
	}))
	defer srv.Close()
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(srv.URL, "http://"))
	if got, want := dataflowJobID(context.Background()), "2026-12-04_05_06_07-123456789"; got != want {
		t.Errorf("dataflowJobID = %q, want %q", got, want)
	}
}

// Without a job_id attribute the account is written without a job id.
func TestDataflowJobIDMissing(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(srv.URL, "http://"))
	if got := dataflowJobID(context.Background()); got != "" {
		t.Errorf("dataflowJobID = %q, want empty", got)
	}
}
