package bqfake_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bq "cloud.google.com/go/bigquery"
	"github.com/parquet-go/parquet-go"
	"google.golang.org/api/googleapi"

	iobq "github.com/example/clickstream/io/bigquery"
	"github.com/example/clickstream/io/bigquery/bqfake"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

const project = "test-project"

var (
	day1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day2 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
)

// setUp starts a server with dataset "ds" (in location) and the tables of
// schemas/tables, and returns a client connected to it.
func setUp(t *testing.T, location string) (*bqfake.Server, *bq.Client) {
	t.Helper()
	srv := bqfake.NewServer(project)
	t.Cleanup(srv.Close)
	srv.AddDataset("ds", location)
	ctx := context.Background()
	client, err := bq.NewClient(ctx, project, srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := iobq.EnsureTables(ctx, client, "ds", schemas.Tables(), true); err != nil {
		t.Fatal(err)
	}
	return srv, client
}

// writeFile writes rows of table into a Parquet file as the warehouse
// encodes them and returns its path.
func writeFile[T any](t *testing.T, table string, rows ...T) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := warehouse.NewFileWriter(&buf, table)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "part.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func page(key, path string) schemas.Page {
	return schemas.Page{PageKey: key, Host: "shop.example.com", Path: path, PageType: "product"}
}

func session(id string, date time.Time, paths ...string) schemas.Session {
	start := date.Add(10 * time.Hour)
	return schemas.Session{
		SessionID: id, SessionDate: date, DeviceID: "d1", SessionStart: start, SessionEnd: start.Add(time.Minute),
		EventCount: int64(len(paths)), PagePathSequence: paths, TrafficClass: "direct", DeviceType: "mobile", Version: 1,
	}
}

// load runs a load job and returns its final status.
func load(t *testing.T, client *bq.Client, dst, jobID string, listInference bool, files ...string) (*bq.JobStatus, error) {
	t.Helper()
	ctx := context.Background()
	ref := bq.NewGCSReference(files...)
	ref.SourceFormat = bq.Parquet
	ref.ParquetOptions = &bq.ParquetOptions{EnableListInference: listInference}
	l := client.Dataset("ds").Table(dst).LoaderFrom(ref)
	l.WriteDisposition = bq.WriteTruncate
	l.CreateDisposition = bq.CreateNever
	l.JobID = jobID
	job, err := l.Run(ctx)
	if err != nil {
		return nil, err
	}
	return job.Wait(ctx)
}

func TestTablesAsTheAPIReportsThem(t *testing.T) {
	srv, _ := setUp(t, "US")
	got, ok := srv.Table("ds", "fact_events")
	if !ok {
		t.Fatal("fact_events was not created")
	}
	if p := got.TimePartitioning; p == nil || p.Type != "DAY" || p.Field != "event_date" {
		t.Errorf("partitioning %+v", p)
	}
	if !got.RequirePartitionFilter || got.Clustering == nil || !slices.Equal(got.Clustering.Fields, []string{"event_type", "device_id"}) {
		t.Errorf("require_partition_filter %v, clustering %+v", got.RequirePartitionFilter, got.Clustering)
	}
	types := map[string]string{}
	for _, f := range got.Schema.Fields {
		types[f.Name] = f.Type + " " + f.Mode
	}
	for col, want := range map[string]string{"source_line": "INTEGER REQUIRED", "price": "FLOAT NULLABLE", "event_date": "DATE REQUIRED", "user_key": "STRING NULLABLE"} {
		if types[col] != want {
			t.Errorf("%s is %q, want %q", col, types[col], want)
		}
	}
}

func TestLoadPartition(t *testing.T) {
	srv, client := setUp(t, "US")
	s1 := session("s1", day1, "/a", "/b")
	s2 := session("s2", day1)
	status, err := load(t, client, "fact_sessions$20261101", "job-1", true, writeFile(t, "fact_sessions", s1, s2))
	if err != nil || status.Err() != nil {
		t.Fatalf("load: %v %v", err, status.Err())
	}
	if got := status.Statistics.Details.(*bq.LoadStatistics).OutputRows; got != 2 {
		t.Errorf("output rows %d, want 2", got)
	}
	got, err := bqfake.RowsOf[schemas.Session](srv.Rows("ds", "fact_sessions"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].SessionID != "s1" || !slices.Equal(got[0].PagePathSequence, []string{"/a", "/b"}) ||
		got[1].PagePathSequence != nil || !got[0].SessionDate.Equal(day1) || !got[0].SessionStart.Equal(s1.SessionStart) {
		t.Errorf("rows %+v", got)
	}

	// WRITE_TRUNCATE replaces the partition it names and nothing else.
	if status, err := load(t, client, "fact_sessions$20261102", "job-2", true, writeFile(t, "fact_sessions", session("s3", day2))); err != nil || status.Err() != nil {
		t.Fatalf("load: %v %v", err, status.Err())
	}
	if status, err := load(t, client, "fact_sessions$20261101", "job-3", true, writeFile(t, "fact_sessions", session("s4", day1))); err != nil || status.Err() != nil {
		t.Fatalf("load: %v %v", err, status.Err())
	}
	if got := srv.Partitions("ds", "fact_sessions"); got["20261101"] != 1 || got["20261102"] != 1 || len(got) != 2 {
		t.Errorf("partitions %v, want one row on each day", got)
	}

	// An unpartitioned table is replaced whole.
	for i, rows := range [][]schemas.Page{{page("k1", "/a"), page("k2", "/b")}, {page("k3", "/c")}} {
		if status, err := load(t, client, "dim_pages", "pages-"+string(rune('a'+i)), true, writeFile(t, "dim_pages", rows...)); err != nil || status.Err() != nil {
			t.Fatalf("load: %v %v", err, status.Err())
		}
	}
	pages, err := bqfake.RowsOf[schemas.Page](srv.Rows("ds", "dim_pages"))
	if err != nil || len(pages) != 1 || pages[0] != page("k3", "/c") {
		t.Errorf("dim_pages %+v %v", pages, err)
	}
}

// jobFailure loads files and returns the job's error, failing the test
// when the job succeeds.
func jobFailure(t *testing.T, client *bq.Client, dst, jobID string, listInference bool, files ...string) string {
	t.Helper()
	status, err := load(t, client, dst, jobID, listInference, files...)
	if err != nil {
		t.Fatalf("%s: %v", jobID, err)
	}
	if status.Err() == nil {
		t.Fatalf("%s: the job succeeded", jobID)
	}
	return status.Err().Error()
}

func TestLoadFailures(t *testing.T) {
	srv, client := setUp(t, "US")
	good := writeFile(t, "fact_sessions", session("s1", day1, "/a"))
	if status, err := load(t, client, "fact_sessions$20261101", "ok", true, good); err != nil || status.Err() != nil {
		t.Fatalf("load: %v %v", err, status.Err())
	}

	type wrongType struct {
		PageKey  int64  `parquet:"page_key"`
		PageType string `parquet:"page_type"`
	}
	type extraColumn struct {
		PageKey  string `parquet:"page_key"`
		PageType string `parquet:"page_type"`
		Color    string `parquet:"color"`
	}
	type nullableIntoRequired struct {
		PageKey  string `parquet:"page_key,optional"`
		PageType string `parquet:"page_type"`
	}
	type requiredMissing struct {
		PageKey string `parquet:"page_key"`
	}
	raw := func(rows any) string {
		t.Helper()
		var buf bytes.Buffer
		var err error
		switch r := rows.(type) {
		case []wrongType:
			err = parquet.Write(&buf, r)
		case []extraColumn:
			err = parquet.Write(&buf, r)
		case []nullableIntoRequired:
			err = parquet.Write(&buf, r)
		case []requiredMissing:
			err = parquet.Write(&buf, r)
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "raw.parquet")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tt := range []struct {
		name, dst     string
		listInference bool
		file          string
		want          string
	}{
		{"row outside its partition", "fact_sessions$20261102", true, good, "Some rows belong to different partitions rather than destination partition 20261102"},
		{"list without list inference", "fact_sessions$20261101", false, good, "Field page_path_sequence has changed type from STRING to RECORD"},
		{"missing table", "no_such_table", true, good, "Not found: Table test-project:ds.no_such_table"},
		{"decorator of an unpartitioned table", "dim_pages$20261101", true, writeFile(t, "dim_pages", page("k", "/")), "not partitioned"},
		{"wrong type", "dim_pages", true, raw([]wrongType{{1, "home"}}), "Field page_key has changed type from STRING to INTEGER"},
		{"extra column", "dim_pages", true, raw([]extraColumn{{"k", "home", "red"}}), "Cannot add fields (field: color)"},
		{"nullable into required", "dim_pages", true, raw([]nullableIntoRequired{{"k", "home"}}), "Field page_key has changed mode from REQUIRED to NULLABLE"},
		{"required column missing", "dim_pages", true, raw([]requiredMissing{{"k"}}), "Field page_type is missing"},
		{"missing file", "dim_pages", true, filepath.Join(t.TempDir(), "none.parquet"), "Not found: URI"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := jobFailure(t, client, tt.dst, "fail-"+strings.ReplaceAll(tt.name, " ", "-"), tt.listInference, tt.file)
			if !strings.Contains(got, tt.want) {
				t.Errorf("job error %q, want %q", got, tt.want)
			}
		})
	}
	// Failed jobs load nothing.
	if got := srv.Partitions("ds", "fact_sessions"); len(got) != 1 || got["20261101"] != 1 {
		t.Errorf("fact_sessions partitions %v after failed loads", got)
	}
	if got := srv.Partitions("ds", "dim_pages"); len(got) != 0 {
		t.Errorf("dim_pages partitions %v after failed loads", got)
	}
}

func TestJobIDs(t *testing.T) {
	srv, client := setUp(t, "europe-west3")
	ctx := context.Background()
	file := writeFile(t, "dim_pages", page("k", "/"))
	if status, err := load(t, client, "dim_pages", "once", true, file); err != nil || status.Err() != nil {
		t.Fatalf("load: %v %v", err, status)
	}
	_, err := load(t, client, "dim_pages", "once", true, file)
	var apiErr *googleapi.Error
	if !errors.As(err, &apiErr) || apiErr.Code != http.StatusConflict || !strings.Contains(apiErr.Message, "Already Exists: Job") {
		t.Fatalf("a reused job id: %v, want 409 Already Exists", err)
	}
	// The job runs where its dataset is, and is found only there.
	if _, err := client.JobFromID(ctx, "once"); err == nil {
		t.Error("found a job outside US/EU without its location")
	}
	job, err := client.JobFromIDLocation(ctx, "once", "europe-west3")
	if err != nil {
		t.Fatal(err)
	}
	if status, err := job.Wait(ctx); err != nil || status.Err() != nil {
		t.Fatalf("wait: %v %v", err, status)
	}
	jobs := srv.Jobs()
	if len(jobs) != 1 || jobs[0].JobReference.Location != "europe-west3" || jobs[0].Configuration.Load.DestinationTable.TableId != "dim_pages" {
		t.Errorf("jobs %+v", jobs)
	}

	// A lost answer: the client retries the insert and meets its own job.
	srv.LoseJobInsertResponses(1)
	_, err = load(t, client, "dim_pages", "lost", true, file)
	if !errors.As(err, &apiErr) || apiErr.Code != http.StatusConflict {
		t.Fatalf("insert after a lost answer: %v, want 409", err)
	}
	if n := len(srv.Jobs()); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
}

func TestDeletePartition(t *testing.T) {
	srv, client := setUp(t, "US")
	ctx := context.Background()
	for i, d := range []time.Time{day1, day2} {
		if status, err := load(t, client, "fact_sessions$"+d.Format("20060102"), "j"+string(rune('0'+i)), true, writeFile(t, "fact_sessions", session("s", d))); err != nil || status.Err() != nil {
			t.Fatalf("load: %v %v", err, status.Err())
		}
	}
	if err := client.Dataset("ds").Table("fact_sessions$20261101").Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if got := srv.Partitions("ds", "fact_sessions"); len(got) != 1 || got["20261102"] != 1 {
		t.Errorf("partitions %v, want only 20261102", got)
	}
	if _, ok := srv.Table("ds", "fact_sessions"); !ok {
		t.Error("deleting a partition deleted the table")
	}
	if err := client.Dataset("ds").Table("dim_pages$20261101").Delete(ctx); err == nil {
		t.Error("deleted a partition of an unpartitioned table")
	}
	if !slices.Contains(srv.Requests(), "DELETE /projects/test-project/datasets/ds/tables/fact_sessions$20261101") {
		t.Errorf("requests %v", srv.Requests())
	}
}

// TestFailRequests: matching requests fail with the injected status and
// the API's reason for it, without being served; the others are served.
func TestFailRequests(t *testing.T) {
	srv, _ := setUp(t, "US")
	srv.FailRequests("GET /projects/test-project/datasets/ds", 2, http.StatusServiceUnavailable)
	srv.FailRequests("POST /projects/test-project/jobs", 1, http.StatusTooManyRequests)
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode
	}
	var codes []int
	for range 3 {
		codes = append(codes, get("/projects/test-project/datasets/ds"))
	}
	if !slices.Equal(codes, []int{503, 503, 200}) {
		t.Errorf("datasets.get answered %v, want 503, 503, 200", codes)
	}
	resp, err := http.Post(srv.URL()+"/projects/test-project/jobs", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("jobs.insert answered %d, want 429", resp.StatusCode)
	}
}

// TestJobFaults: injected job failures, refused rows and delayed jobs, as
// the client sees them.
func TestJobFaults(t *testing.T) {
	srv, client := setUp(t, "US")
	ctx := context.Background()
	file := writeFile(t, "fact_sessions", session("s1", day1, "/a"), session("s2", day1), session("s3", day1))

	srv.FailJobs(1, "backendError")
	if got := jobFailure(t, client, "fact_sessions$20261101", "failed", true, file); got != "{Location: \"\"; Message: \"bqfake: injected job failure (backendError)\"; Reason: \"backendError\"}" {
		t.Errorf("injected failure: %s", got)
	}

	srv.RejectRows(func(table string, row map[string]any) string {
		if table == "fact_sessions" && row["session_id"] != "s1" {
			return "no " + row["session_id"].(string)
		}
		return ""
	})
	status, err := load(t, client, "fact_sessions$20261101", "refused", true, file)
	if err != nil || status.Err() == nil {
		t.Fatalf("a load with refused rows: %v %v", err, status.Err())
	}
	var msgs []string
	for _, e := range status.Errors {
		msgs = append(msgs, e.Message)
	}
	if want := []string{
		"Error while reading data, error message: 2 rows were refused; see errors[] for more details",
		"Error while reading data, error message: row 2: no s2",
		"Error while reading data, error message: row 3: no s3",
	}; !slices.Equal(msgs, want) {
		t.Errorf("errors %q, want %q", msgs, want)
	}
	if got := srv.Rows("ds", "fact_sessions"); len(got) != 0 {
		t.Errorf("%d rows loaded by failed jobs", len(got))
	}
	srv.RejectRows(nil)

	srv.DelayJobs(1, 2)
	l := client.Dataset("ds").Table("fact_sessions$20261101").LoaderFrom(bq.NewGCSReference(file))
	l.Src.(*bq.GCSReference).SourceFormat = bq.Parquet
	l.Src.(*bq.GCSReference).ParquetOptions = &bq.ParquetOptions{EnableListInference: true}
	l.WriteDisposition, l.CreateDisposition, l.JobID = bq.WriteTruncate, bq.CreateNever, "delayed"
	job, err := l.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var states []bq.State
	for range 3 {
		st, err := job.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.State)
		if st.State == bq.Running && len(srv.Rows("ds", "fact_sessions")) != 0 {
			t.Error("a running job has loaded its rows")
		}
	}
	if !slices.Equal(states, []bq.State{bq.Running, bq.Running, bq.Done}) {
		t.Errorf("states %v, want running, running, done", states)
	}
	if got := srv.Partitions("ds", "fact_sessions"); got["20261101"] != 3 {
		t.Errorf("partitions %v after the delayed job", got)
	}
}
