package bqfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	bqv2 "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"
)

// Server is an in-process BigQuery REST API for one project. It is safe for
// concurrent use.
type Server struct {
	project string
	http    *httptest.Server

	mu       sync.Mutex
	store    *store
	datasets map[string]*dataset
	jobs     map[string]*bqv2.Job
	jobOrder []string
	// results are the query jobs' rows, by job id.
	results map[string]*result
	// polls counts the jobs.get answers a delayed job still owes as RUNNING.
	polls       map[string]int
	sessions    map[string]*session
	nextSession int
	requests    []string
	faults      faults
}

type dataset struct {
	meta   *bqv2.Dataset
	tables map[string]*table
}

// table is a table's metadata; its rows are in the store.
type table struct {
	meta *bqv2.Table
}

// NewServer starts a server for project. Close it when done.
func NewServer(project string) *Server {
	st, err := openStore(context.Background())
	if err != nil {
		panic(err)
	}
	s := &Server{
		project: project, store: st, datasets: map[string]*dataset{}, jobs: map[string]*bqv2.Job{},
		results: map[string]*result{}, polls: map[string]int{}, sessions: map[string]*session{},
	}
	mux := http.NewServeMux()
	// The client puts the API's path under the endpoint it is given; also
	// accept Google's /bigquery/v2 prefix.
	for _, prefix := range []string{"", "/bigquery/v2"} {
		mux.HandleFunc("GET "+prefix+"/projects/{project}/datasets/{dataset}", s.getDataset)
		mux.HandleFunc("GET "+prefix+"/projects/{project}/datasets/{dataset}/tables/{table}", s.getTable)
		mux.HandleFunc("POST "+prefix+"/projects/{project}/datasets/{dataset}/tables", s.insertTable)
		mux.HandleFunc("DELETE "+prefix+"/projects/{project}/datasets/{dataset}/tables/{table}", s.deleteTable)
		mux.HandleFunc("GET "+prefix+"/projects/{project}/datasets/{dataset}/tables/{table}/data", s.listTableData)
		mux.HandleFunc("POST "+prefix+"/projects/{project}/jobs", s.insertJob)
		mux.HandleFunc("GET "+prefix+"/projects/{project}/jobs/{job}", s.getJob)
		mux.HandleFunc("GET "+prefix+"/projects/{project}/queries/{job}", s.getQueryResults)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotImplemented, "notImplemented", fmt.Sprintf("bqfake: %s %s is not implemented", r.Method, r.URL.Path))
	})
	s.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		if !s.failRequest(w, r) {
			mux.ServeHTTP(w, r)
		}
	}))
	return s
}

// URL is the server's base URL, for option.WithEndpoint.
func (s *Server) URL() string { return s.http.URL }

// ClientOptions connect a BigQuery client to the server.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(s.URL()), option.WithoutAuthentication()}
}

// Close shuts the server down and ends its sessions.
func (s *Server) Close() {
	s.http.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range sortedKeys(s.sessions) {
		s.endSession(id)
	}
	if err := s.store.close(); err != nil {
		panic(err)
	}
}

// AddDataset creates an empty dataset in location (e.g. "US").
func (s *Server) AddDataset(name, location string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.store.db.ExecContext(context.Background(), "CREATE SCHEMA "+quoteIdent(name)); err != nil {
		panic(fmt.Sprintf("bqfake: dataset %s: %v", name, err))
	}
	s.datasets[name] = &dataset{
		meta: &bqv2.Dataset{
			Kind:             "bigquery#dataset",
			Id:               s.project + ":" + name,
			DatasetReference: &bqv2.DatasetReference{ProjectId: s.project, DatasetId: name},
			Location:         location,
		},
		tables: map[string]*table{},
	}
}

// Table returns a table's metadata as the server holds it (what tables.insert
// received, with the types in the API's legacy names), or false.
func (s *Server) Table(dataset, name string) (*bqv2.Table, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookupTable(dataset, name)
	if t == nil {
		return nil, false
	}
	return clone(t.meta), true
}

// Rows returns a table's rows ordered by partition id, then as loaded.
// Values are nil (NULL), string, int64, float64, bool, time.Time (DATE as
// midnight UTC, TIMESTAMP in UTC), []byte, or []any for a REPEATED column.
func (s *Server) Rows(dataset, name string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookupTable(dataset, name)
	if t == nil {
		return nil
	}
	rows, err := s.store.rowsOf(context.Background(), dataset, t)
	if err != nil {
		panic(fmt.Sprintf("bqfake: rows of %s.%s: %v", dataset, name, err))
	}
	return rows
}

// Partitions returns the number of rows in each non-empty partition of a
// table, by partition id (YYYYMMDD, __NULL__, or "" for an unpartitioned
// table).
func (s *Server) Partitions(dataset, name string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookupTable(dataset, name)
	if t == nil {
		return nil
	}
	out, err := s.store.partitions(context.Background(), dataset, t)
	if err != nil {
		panic(fmt.Sprintf("bqfake: partitions of %s.%s: %v", dataset, name, err))
	}
	return out
}

// Jobs returns every job the server accepted, in order: the configuration
// received, with its final status and statistics.
func (s *Server) Jobs() []*bqv2.Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*bqv2.Job, 0, len(s.jobOrder))
	for _, id := range s.jobOrder {
		out = append(out, clone(s.jobs[id]))
	}
	return out
}

// Requests returns every request received, as "METHOD /path", in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) lookupTable(dataset, name string) *table {
	ds, ok := s.datasets[dataset]
	if !ok {
		return nil
	}
	return ds.tables[name]
}

// checkProject answers 404 for another project than the server's.
func (s *Server) checkProject(w http.ResponseWriter, r *http.Request) bool {
	if p := r.PathValue("project"); p != s.project {
		writeError(w, http.StatusNotFound, "notFound", "Not found: Project "+p)
		return false
	}
	return true
}

func (s *Server) getDataset(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.datasets[r.PathValue("dataset")]
	if !ok {
		writeError(w, http.StatusNotFound, "notFound", fmt.Sprintf("Not found: Dataset %s:%s", s.project, r.PathValue("dataset")))
		return
	}
	writeJSON(w, ds.meta)
}

func (s *Server) getTable(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookupTable(r.PathValue("dataset"), r.PathValue("table"))
	if t == nil {
		writeError(w, http.StatusNotFound, "notFound", s.notFoundTable(r.PathValue("dataset"), r.PathValue("table")))
		return
	}
	writeJSON(w, t.meta)
}

func (s *Server) notFoundTable(dataset, name string) string {
	return fmt.Sprintf("Not found: Table %s:%s.%s", s.project, dataset, name)
}

func (s *Server) insertTable(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	var t bqv2.Table
	if err := json.NewDecoder(r.Body).Decode(&t); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "bqfake: table: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dsName := r.PathValue("dataset")
	ds, ok := s.datasets[dsName]
	if !ok {
		writeError(w, http.StatusNotFound, "notFound", fmt.Sprintf("Not found: Dataset %s:%s", s.project, dsName))
		return
	}
	if t.TableReference == nil || t.TableReference.TableId == "" {
		writeError(w, http.StatusBadRequest, "invalid", "bqfake: table: no tableReference.tableId")
		return
	}
	name := t.TableReference.TableId
	if _, ok := ds.tables[name]; ok {
		writeError(w, http.StatusConflict, "duplicate", fmt.Sprintf("Already Exists: Table %s:%s.%s", s.project, dsName, name))
		return
	}
	if err := s.addTable(r.Context(), dsName, &t); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errNotImplemented) {
			code = http.StatusNotImplemented
		}
		writeError(w, code, "invalid", err.Error())
		return
	}
	writeJSON(w, &t)
}

// addTable checks a new table's metadata, completes it as the API does and
// creates the table. The caller holds s.mu.
func (s *Server) addTable(ctx context.Context, dataset string, t *bqv2.Table) error {
	if err := checkTable(t); err != nil {
		return err
	}
	name := t.TableReference.TableId
	if err := createTable(ctx, s.store.db, dataset, name, t.Schema); err != nil {
		return fmt.Errorf("%w: %v", errNotImplemented, err)
	}
	ds := s.datasets[dataset]
	t.Kind = "bigquery#table"
	t.Id = fmt.Sprintf("%s:%s.%s", s.project, dataset, name)
	t.TableReference.ProjectId, t.TableReference.DatasetId = s.project, dataset
	t.Type = "TABLE"
	t.Location = ds.meta.Location
	t.CreationTime = time.Now().UnixMilli()
	ds.tables[name] = &table{meta: t}
	return nil
}

// errNotImplemented marks what the server refuses because it lacks it.
var errNotImplemented = errors.New("bqfake: not implemented")

// checkTable checks what BigQuery checks of a new table that this fake
// relies on, and writes column types and modes as the API reports them.
func checkTable(t *bqv2.Table) error {
	if t.Schema == nil || len(t.Schema.Fields) == 0 {
		return fmt.Errorf("bqfake: table %s: no schema", t.TableReference.TableId)
	}
	cols := map[string]*bqv2.TableFieldSchema{}
	for _, f := range t.Schema.Fields {
		reportField(f)
		cols[strings.ToLower(f.Name)] = f
	}
	if p := t.TimePartitioning; p != nil {
		if p.Type != "" && p.Type != "DAY" || p.Field == "" {
			return fmt.Errorf("bqfake: only day partitioning on a column is implemented (type %q, field %q)", p.Type, p.Field)
		}
		c, ok := cols[strings.ToLower(p.Field)]
		if !ok {
			return failf("invalid", "The field specified for time partitioning cannot be found in the schema: %s", p.Field)
		}
		if c.Type != "DATE" && c.Type != "TIMESTAMP" || c.Mode == "REPEATED" {
			return failf("invalid", "The field specified for time partitioning can only be of type TIMESTAMP, DATE or DATETIME. The type found is: %s %s", c.Mode, c.Type)
		}
	}
	if c := t.Clustering; c != nil {
		if len(c.Fields) > 4 {
			return failf("invalid", "Too many clustering fields: %d, only 4 are allowed", len(c.Fields))
		}
		for _, name := range c.Fields {
			if _, ok := cols[strings.ToLower(name)]; !ok {
				return failf("invalid", "The field specified for clustering cannot be found in the schema. Invalid field: %s", name)
			}
		}
	}
	return nil
}

// reportField writes a column's type and mode, and its fields', as the API
// reports them.
func reportField(f *bqv2.TableFieldSchema) {
	f.Type = legacyType(f.Type)
	if f.Mode == "" {
		f.Mode = "NULLABLE"
	}
	for _, sub := range f.Fields {
		reportField(sub)
	}
}

// legacyType is the name the API reports for a column type.
func legacyType(t string) string {
	switch strings.ToUpper(t) {
	case "INT64":
		return "INTEGER"
	case "FLOAT64":
		return "FLOAT"
	case "BOOL":
		return "BOOLEAN"
	}
	return strings.ToUpper(t)
}

func (s *Server) deleteTable(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dsName := r.PathValue("dataset")
	name, decorator, partition := strings.Cut(r.PathValue("table"), "$")
	t := s.lookupTable(dsName, name)
	if t == nil {
		writeError(w, http.StatusNotFound, "notFound", s.notFoundTable(dsName, name))
		return
	}
	if !partition {
		if _, err := s.store.db.ExecContext(r.Context(), "DROP TABLE "+tableName(dsName, name)); err != nil {
			writeError(w, http.StatusInternalServerError, "internalError", err.Error())
			return
		}
		delete(s.datasets[dsName].tables, name)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := checkDecorator(t, decorator); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if err := s.store.replaceRows(r.Context(), dsName, t, decorator, nil); err != nil {
		writeError(w, http.StatusInternalServerError, "internalError", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkDecorator checks a partition decorator of a day-partitioned table.
func checkDecorator(t *table, decorator string) error {
	if t.meta.TimePartitioning == nil {
		return failf("invalid", "Cannot read partition information from a table that is not partitioned: %s$%s", t.meta.TableReference.TableId, decorator)
	}
	if _, err := time.Parse("20060102", decorator); err != nil || len(decorator) != 8 {
		return failf("invalid", "Invalid partition decorator %q: want YYYYMMDD for a table partitioned by day", decorator)
	}
	return nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, job, ok := s.requestedJob(w, r)
	if !ok {
		return
	}
	s.poll(r, id, job)
	writeJSON(w, job)
}

// requestedJob finds the job a request names (its path's job id and its
// location parameter), or answers 404: jobs outside the US and EU
// multi-regions are found only with their location. The caller holds s.mu.
func (s *Server) requestedJob(w http.ResponseWriter, r *http.Request) (string, *bqv2.Job, bool) {
	id := r.PathValue("job")
	job, ok := s.jobs[id]
	if !ok || !locationMatches(job.JobReference.Location, r.URL.Query().Get("location")) {
		writeError(w, http.StatusNotFound, "notFound", fmt.Sprintf("Not found: Job %s:%s", s.project, id))
		return id, nil, false
	}
	return id, job, true
}

// poll counts a request for a delayed job's state, and runs the job when
// it has been polled enough (DelayJobs). The caller holds s.mu.
func (s *Server) poll(r *http.Request, id string, job *bqv2.Job) {
	if left, delayed := s.polls[id]; delayed {
		if left > 0 {
			s.polls[id] = left - 1
		} else {
			delete(s.polls, id)
			s.run(r.Context(), job)
		}
	}
}

func locationMatches(job, asked string) bool {
	if asked == "" {
		return job == "" || strings.EqualFold(job, "US") || strings.EqualFold(job, "EU")
	}
	return strings.EqualFold(job, asked)
}

func (s *Server) insertJob(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	var job bqv2.Job
	if err := json.NewDecoder(r.Body).Decode(&job); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "bqfake: job: "+err.Error())
		return
	}
	cfg := job.Configuration
	if cfg == nil || cfg.Load == nil && cfg.Query == nil {
		writeError(w, http.StatusNotImplemented, "notImplemented", "bqfake: only load and query jobs are implemented")
		return
	}
	if job.JobReference == nil || job.JobReference.JobId == "" {
		writeError(w, http.StatusNotImplemented, "notImplemented", "bqfake: jobs without a client-chosen job id are not implemented")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cfg.DryRun {
		// A dry run is not a job: nothing is kept, its id may be used again.
		if err := s.dryRun(r.Context(), &job); err != nil {
			writeError(w, http.StatusBadRequest, err.reason, err.message)
			return
		}
		writeJSON(w, &job)
		return
	}
	id := job.JobReference.JobId
	if _, ok := s.jobs[id]; ok {
		writeError(w, http.StatusConflict, "duplicate", fmt.Sprintf("Already Exists: Job %s:%s.%s", s.project, job.JobReference.Location, id))
		return
	}
	job.JobReference.ProjectId = s.project
	if job.JobReference.Location == "" {
		// A job without a location runs where its destination is.
		job.JobReference.Location = "US"
		if ds := s.datasets[destination(cfg).DatasetId]; ds != nil {
			job.JobReference.Location = ds.meta.Location
		}
	}
	job.Kind = "bigquery#job"
	job.Id = fmt.Sprintf("%s:%s.%s", s.project, job.JobReference.Location, id)
	job.Status = &bqv2.JobStatus{State: "RUNNING"}
	job.Statistics = &bqv2.JobStatistics{CreationTime: time.Now().UnixMilli()}
	s.jobs[id] = &job
	s.jobOrder = append(s.jobOrder, id)
	if d := &s.faults.delay; d.jobs > 0 && d.polls > 0 {
		d.jobs--
		s.polls[id] = d.polls
	} else {
		s.run(r.Context(), &job)
	}
	if s.faults.lose > 0 {
		s.faults.lose--
		writeError(w, http.StatusServiceUnavailable, "backendError", "bqfake: the job was accepted, its response was lost")
		return
	}
	writeJSON(w, &job)
}

// destination is the table a job writes, or an empty reference.
func destination(cfg *bqv2.JobConfiguration) *bqv2.TableReference {
	switch {
	case cfg.Load != nil && cfg.Load.DestinationTable != nil:
		return cfg.Load.DestinationTable
	case cfg.Query != nil && cfg.Query.DestinationTable != nil:
		return cfg.Query.DestinationTable
	}
	return &bqv2.TableReference{}
}

// writeJSON answers 200 with v.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the API's error format, which the client decodes
// into a *googleapi.Error.
func writeError(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{
			"code":    code,
			"message": message,
			"errors":  []map[string]string{{"reason": reason, "message": message}},
		},
	})
}

// clone deep-copies an API message through JSON.
func clone[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("bqfake: %v", err))
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(fmt.Sprintf("bqfake: %v", err))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
