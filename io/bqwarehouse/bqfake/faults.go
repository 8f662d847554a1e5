package bqfake

import (
	"fmt"
	"net/http"
	"strings"

	bqv2 "google.golang.org/api/bigquery/v2"
)

// faults are the failures a test has asked for. Each counts down as it
// strikes. The server holds them under s.mu.
type faults struct {
	requests []*requestFault
	// lose counts job inserts whose answer is lost.
	lose int
	// jobs are the error reasons of the next jobs to run, in order.
	jobs []string
	// queries fail the query jobs whose ids match.
	queries []*queryFault
	// aborts abort the transactions of the query jobs whose ids match.
	aborts []*queryFault
	// reject refuses rows in load jobs.
	reject func(table string, row map[string]any) string
	// delay counts jobs that stay RUNNING for polls jobs.get each.
	delay struct{ jobs, polls int }
}

// queryFault strikes the next n query jobs whose id contains match.
type queryFault struct {
	match  string
	n      int
	reason string
}

// requestFault answers the next n requests that match with an error.
type requestFault struct {
	match string
	n     int
	code  int
}

// FailRequests makes the next n requests whose "METHOD /path" contains
// match (e.g. "POST /projects/p/jobs", "GET /projects/p/jobs/") fail with
// the HTTP status code, without being served: a 5xx as BigQuery's front end
// answers when it is overloaded or restarting (reason backendError;
// internalError for 500), which the client retries on its own; 429
// rateLimitExceeded; any other code with reason invalid.
func (s *Server) FailRequests(match string, n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.requests = append(s.faults.requests, &requestFault{match: match, n: n, code: code})
}

// LoseJobInsertResponses makes the server run the next n jobs it is sent
// and then answer 503 backendError instead of the job, as when a response is
// lost on the way: the client retries the insert and meets its own job,
// which answers 409 Already Exists.
func (s *Server) LoseJobInsertResponses(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.lose = n
}

// FailJobs makes the next n jobs that run finish DONE with an error result
// of reason, changing nothing, as BigQuery reports a job that failed while
// running: "backendError" or "internalError" for a failure worth retrying,
// "invalid" for one that would fail again.
func (s *Server) FailJobs(n int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults.jobs = append(s.faults.jobs, reason)
	}
}

// FailQueryJobs makes the next n query jobs whose job id contains match
// finish DONE with an error result of reason before running, changing
// nothing: "invalidQuery" as for a query BigQuery rejects, or a transient
// reason as for FailJobs.
func (s *Server) FailQueryJobs(match string, n int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.queries = append(s.faults.queries, &queryFault{match: match, n: n, reason: reason})
}

// AbortTransactions makes the transactions of the next n query jobs whose
// job id contains match abort at their COMMIT TRANSACTION, as BigQuery
// aborts one that a concurrent transaction or DML statement on the same
// table beat to it: every statement of the transaction is rolled back and
// the job fails with reason invalidQuery, "Transaction is aborted due to
// concurrent update against table ...".
func (s *Server) AbortTransactions(match string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.aborts = append(s.faults.aborts, &queryFault{match: match, n: n})
}

// RejectRows makes load jobs refuse rows: a job that loads a row for which
// reject returns a non-empty message fails whole (reason "invalid", one
// error per refused row, nothing loaded), as a BigQuery load job does with
// no bad records allowed. table is the destination table's name, without a
// partition decorator; row is as Rows returns it.
func (s *Server) RejectRows(reject func(table string, row map[string]any) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.reject = reject
}

// DelayJobs makes the next n jobs inserted stay RUNNING for their first
// polls answers to jobs.get; a job runs when it is polled once more.
func (s *Server) DelayJobs(n, polls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.delay.jobs, s.faults.delay.polls = n, polls
}

// failRequest answers r with an injected error and reports true, or
// reports false when no fault matches it.
func (s *Server) failRequest(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	var hit *requestFault
	for _, f := range s.faults.requests {
		if f.n > 0 && strings.Contains(r.Method+" "+r.URL.Path, f.match) {
			f.n--
			hit = f
			break
		}
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	reason := "invalid"
	switch {
	case hit.code == http.StatusInternalServerError:
		reason = "internalError"
	case hit.code == http.StatusTooManyRequests:
		reason = "rateLimitExceeded"
	case hit.code > 500:
		reason = "backendError"
	}
	writeError(w, hit.code, reason, fmt.Sprintf("bqfake: injected %d for %s %s", hit.code, r.Method, r.URL.Path))
	return true
}

// injectedJobFailure returns the error of job if a fault makes it fail.
// The caller holds s.mu.
func (s *Server) injectedJobFailure(job *bqv2.Job) *jobError {
	if len(s.faults.jobs) > 0 {
		reason := s.faults.jobs[0]
		s.faults.jobs = s.faults.jobs[1:]
		return failf(reason, "bqfake: injected job failure (%s)", reason)
	}
	if job.Configuration.Query == nil {
		return nil
	}
	if f := strike(s.faults.queries, job.JobReference.JobId); f != nil {
		return failf(f.reason, "bqfake: injected query job failure (%s)", f.reason)
	}
	return nil
}

// strike returns the first fault of faults that strikes job id, counted
// down, or nil.
func strike(faults []*queryFault, id string) *queryFault {
	for _, f := range faults {
		if f.n > 0 && strings.Contains(id, f.match) {
			f.n--
			return f
		}
	}
	return nil
}

// rejectRows applies RejectRows to the rows a job would load into table.
// The caller holds s.mu.
func (s *Server) rejectRows(table string, rows []map[string]any) *jobError {
	if s.faults.reject == nil {
		return nil
	}
	var refused []string
	for i, row := range rows {
		if msg := s.faults.reject(table, row); msg != "" {
			refused = append(refused, fmt.Sprintf("Error while reading data, error message: row %d: %s", i+1, msg))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	err := failf("invalid", "Error while reading data, error message: %d rows were refused; see errors[] for more details", len(refused))
	err.errors = refused
	return err
}
