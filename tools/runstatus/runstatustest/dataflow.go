package runstatustest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	dataflow "google.golang.org/api/dataflow/v1b3"
)

// Dataflow is an in-process Dataflow jobs API for one project and region.
// It is safe for concurrent use.
type Dataflow struct {
	project, region string
	http            *httptest.Server

	mu       sync.Mutex
	jobs     map[string]*job
	failGets int
}

type job struct {
	meta dataflow.Job
	// states are the states the next jobs.get calls answer, the last one
	// for good.
	states   []string
	gets     int
	messages []*dataflow.JobMessage
	// answered are the channels of Answered, closed once gets reaches
	// their count.
	answered []answeredAt
}

type answeredAt struct {
	gets int
	done chan struct{}
}

// importance orders the message importances, least first.
var importance = []string{"JOB_MESSAGE_DEBUG", "JOB_MESSAGE_DETAILED", "JOB_MESSAGE_BASIC", "JOB_MESSAGE_WARNING", "JOB_MESSAGE_ERROR"}

// NewDataflow starts a server for the jobs of project in region. Close it
// when done.
func NewDataflow(project, region string) *Dataflow {
	d := &Dataflow{project: project, region: region, jobs: map[string]*job{}}
	mux := http.NewServeMux()
	const jobs = "/v1b3/projects/{project}/locations/{location}/jobs"
	mux.HandleFunc("GET "+jobs+"/{job}", d.getJob)
	mux.HandleFunc("GET "+jobs, d.listJobs)
	mux.HandleFunc("GET "+jobs+"/{job}/messages", d.listMessages)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotImplemented, fmt.Sprintf("runstatustest: %s %s is not implemented", r.Method, r.URL.Path))
	})
	d.http = httptest.NewServer(mux)
	return d
}

// URL is the server's base URL, for option.WithEndpoint (and runstatus's
// --dataflow_endpoint).
func (d *Dataflow) URL() string { return d.http.URL + "/" }

// Close shuts the server down.
func (d *Dataflow) Close() { d.http.Close() }

// AddJob adds a batch job named name, created at created: each jobs.get
// answers the next of states (JOB_STATE_RUNNING, JOB_STATE_DONE, ...), and
// the last one from then on.
func (d *Dataflow) AddJob(id, name string, created time.Time, states ...string) {
	if len(states) == 0 {
		panic("runstatustest: AddJob needs at least one state")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.jobs[id] = &job{
		meta: dataflow.Job{
			Id: id, Name: name, ProjectId: d.project, Location: d.region, Type: "JOB_TYPE_BATCH",
			CreateTime: created.UTC().Format(time.RFC3339Nano),
		},
		states: states,
	}
}

// AddMessage adds a message of an importance (JOB_MESSAGE_ERROR, ...) to a
// job's log.
func (d *Dataflow) AddMessage(id, importance, text string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.jobs[id]
	j.messages = append(j.messages, &dataflow.JobMessage{
		Id: fmt.Sprint(len(j.messages)), MessageImportance: importance, MessageText: text,
		Time: at.UTC().Format(time.RFC3339Nano),
	})
}

// FailGets answers the next n jobs.get calls with 503 Service Unavailable.
func (d *Dataflow) FailGets(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failGets = n
}

// Gets returns how many jobs.get calls a job has answered.
func (d *Dataflow) Gets(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if j, ok := d.jobs[id]; ok {
		return j.gets
	}
	return 0
}

// Answered returns a channel closed once the job, which AddJob added, has
// answered n jobs.get calls.
func (d *Dataflow) Answered(id string, n int) <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.jobs[id]
	done := make(chan struct{})
	if j.gets >= n {
		close(done)
		return done
	}
	j.answered = append(j.answered, answeredAt{gets: n, done: done})
	return done
}

// lookup returns the job a request names, or answers 404.
func (d *Dataflow) lookup(w http.ResponseWriter, r *http.Request) *job {
	if !d.here(w, r) {
		return nil
	}
	j, ok := d.jobs[r.PathValue("job")]
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("(%s): Information about job %s could not be found in our system.", d.region, r.PathValue("job")))
		return nil
	}
	return j
}

// here answers 404 for another project or region than the server's.
func (d *Dataflow) here(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("project") != d.project || r.PathValue("location") != d.region {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no jobs in %s/%s", r.PathValue("project"), r.PathValue("location")))
		return false
	}
	return true
}

func (d *Dataflow) getJob(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failGets > 0 {
		d.failGets--
		writeError(w, http.StatusServiceUnavailable, "runstatustest: injected failure")
		return
	}
	j := d.lookup(w, r)
	if j == nil {
		return
	}
	meta := j.meta
	meta.CurrentState = j.states[min(j.gets, len(j.states)-1)]
	meta.CurrentStateTime = time.Now().UTC().Format(time.RFC3339Nano)
	j.gets++
	writeJSON(w, &meta)
	j.answered = slices.DeleteFunc(j.answered, func(a answeredAt) bool {
		if j.gets >= a.gets {
			close(a.done)
			return true
		}
		return false
	})
}

func (d *Dataflow) listJobs(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.here(w, r) {
		return
	}
	name := r.URL.Query().Get("name")
	resp := &dataflow.ListJobsResponse{}
	for _, id := range sortedKeys(d.jobs) {
		if j := d.jobs[id]; name == "" || j.meta.Name == name {
			meta := j.meta
			resp.Jobs = append(resp.Jobs, &meta)
		}
	}
	writeJSON(w, resp)
}

func (d *Dataflow) listMessages(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := d.lookup(w, r)
	if j == nil {
		return
	}
	least := max(0, slices.Index(importance, r.URL.Query().Get("minimumImportance")))
	resp := &dataflow.ListJobMessagesResponse{}
	for _, m := range j.messages {
		if slices.Index(importance, m.MessageImportance) >= least {
			resp.JobMessages = append(resp.JobMessages, m)
		}
	}
	writeJSON(w, resp)
}

// writeJSON answers 200 with v.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the API's error format, which the client decodes
// into a *googleapi.Error.
func writeError(w http.ResponseWriter, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"code": code, "message": message, "status": http.StatusText(code)},
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
