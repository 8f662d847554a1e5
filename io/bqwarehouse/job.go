package bqwarehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/googleapi"
)

// JobRunner runs BigQuery jobs so that a retry never runs a job twice and
// a job that failed can be run again. Every job the project runs goes
// through it: the load jobs of Load, and query jobs (DML and MERGE scripts,
// queries writing a table with WRITE_TRUNCATE or WRITE_TRUNCATE_DATA).
//
// A job is named by a base id that its caller derives from what the job
// does in a run (Load: the run id, table and partition), so that every
// attempt at the same work in the same run finds the attempts before it.
// The attempts are <base>_a0, <base>_a1, ... (AttemptID). Run probes them in
// order (jobs.get):
//
//   - an attempt that succeeded is the result: nothing is submitted;
//   - one still running is waited for;
//   - one that failed with a transient error (TransientReasons, or a
//     ConcurrentUpdate) is passed over, and the first attempt that does
//     not exist yet is submitted;
//   - one that failed for another reason is the result: a *JobFailedError,
//     without submitting again (the same job would fail the same way).
//
// An attempt found existing, by the probe or because jobs.insert answered
// 409 (the client retried an insert whose answer was lost), must do the
// same work: its configuration is compared with the one given (a load's
// destination and source files, a query's SQL and destination), so a base
// id reused for other work fails instead of passing an old job off as this
// one.
//
// An attempt submitted by Run that fails transiently is followed, after a
// backoff, by the next one, up to MaxAttempts; then Run returns an error
// (not a *JobFailedError), so that the caller fails its bundle and the
// runner's retry carries on from the next attempt. Errors of the requests
// themselves (5xx, rate limits) are retried by the client library.
type JobRunner struct {
	// Client submits and polls the jobs. Its Location must be the
	// dataset's: jobs.get finds a job outside the US and EU multi-regions
	// only with it.
	Client *bigquery.Client
	// MaxAttempts is how many attempts one Run submits while they fail
	// transiently (default DefaultJobAttempts).
	MaxAttempts int
	// Backoff paces those attempts (default: 1 s doubling up to 32 s, what
	// BigQuery's SLA asks of retries).
	Backoff gax.Backoff
	// Poll paces the jobs.get calls while a job runs (default: 500 ms
	// doubling up to 30 s).
	Poll gax.Backoff
}

// DefaultJobAttempts is JobRunner.MaxAttempts' default.
const DefaultJobAttempts = 4

// TransientReasons are the error reasons of a failed job worth submitting
// again: BigQuery's own failures and rate limits, which it documents as
// retryable. Any other reason (invalid, notFound, quotaExceeded,
// accessDenied, ...) is a JobFailedError, except a concurrent update
// (ConcurrentUpdate).
var TransientReasons = []string{"backendError", "internalError", "rateLimitExceeded", "jobBackendError", "jobInternalError", "jobRateLimitExceeded"}

// ConcurrentUpdate reports whether a job failed because another job changed
// a table it changes: BigQuery aborts a multi-statement transaction (or
// refuses a mutating DML statement) that conflicts with a concurrent one on
// the same table, with reason invalidQuery and the message "Transaction is
// aborted due to concurrent update against table ..." (or "Could not
// serialize access to table ... due to concurrent update"). Nothing of the
// job was written; running the whole job again is the remedy, so the
// runner treats it as transient.
func ConcurrentUpdate(err error) bool {
	var be *bigquery.Error
	return errors.As(err, &be) && be.Reason == "invalidQuery" && strings.Contains(be.Message, "due to concurrent update")
}

// JobResult is the attempt of a job that succeeded.
type JobResult struct {
	// ID is its job id, AttemptID(base, Attempt).
	ID      string
	Attempt int
	// Submitted is false when the attempt existed before this Run (an
	// earlier call submitted it, or jobs.insert answered 409).
	Submitted bool
	// Retries is how many attempts this Run submitted that failed
	// transiently.
	Retries int
	// Status is the job's final status, without error. Statistics.Details
	// is *bigquery.LoadStatistics for a load job, *bigquery.QueryStatistics for a query
	// job (e.g. NumDMLAffectedRows).
	Status *bigquery.JobStatus
	// Job is the attempt, e.g. to Read a query's rows.
	Job *bigquery.Job
}

// JobFailedError is a job that BigQuery failed, or refused to start, for a
// reason that would fail it again.
type JobFailedError struct {
	// ID is the failed attempt's job id, AttemptID(base, Attempt).
	ID      string
	Attempt int
	// Err is BigQuery's error: the job's error result (*bigquery.Error), or
	// jobs.insert's answer (*googleapi.Error).
	Err error
	// Errors are the job's errors behind its error result (the rows or files
	// at fault), the first few.
	Errors []string
}

func (e *JobFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %s failed: %s", e.ID, describe(e.Err))
	for _, d := range e.Errors {
		fmt.Fprintf(&b, "\n  %s", d)
	}
	return b.String()
}

func (e *JobFailedError) Unwrap() error { return e.Err }

// AttemptID is the job id of attempt n (from 0) of the job named base.
func AttemptID(base string, n int) string { return fmt.Sprintf("%s_a%d", base, n) }

// Run runs the job named base with cfg (a *bigquery.LoadConfig or a
// *bigquery.QueryConfig) until one attempt succeeds, and returns it. A job that
// fails for good is a *JobFailedError; any other error means the job's
// fate is unknown or its attempts kept failing transiently, and a later Run
// with the same base carries on where this one stopped.
func (r *JobRunner) Run(ctx context.Context, base string, cfg bigquery.JobConfig) (*JobResult, error) {
	switch cfg.(type) {
	case *bigquery.LoadConfig, *bigquery.QueryConfig:
	default:
		return nil, fmt.Errorf("job %s: a %T is not a load or query configuration", base, cfg)
	}
	backoff := r.Backoff
	if backoff.Initial == 0 {
		backoff = gax.Backoff{Initial: time.Second, Max: 32 * time.Second, Multiplier: 2}
	}
	maxAttempts := r.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultJobAttempts
	}
	retries := 0
	for n := 0; ; n++ {
		id := AttemptID(base, n)
		job, submitted, err := r.probeOrSubmit(ctx, id, cfg)
		var refused *JobFailedError
		if errors.As(err, &refused) {
			refused.Attempt = n
		}
		if err != nil {
			return nil, err
		}
		status, err := r.wait(ctx, job)
		if err != nil {
			return nil, fmt.Errorf("wait for job %s: %w", id, err)
		}
		if status.Err() == nil {
			return &JobResult{ID: id, Attempt: n, Submitted: submitted, Retries: retries, Status: status, Job: job}, nil
		}
		if !transient(status.Err()) {
			return nil, &JobFailedError{ID: id, Attempt: n, Err: status.Err(), Errors: jobErrors(status)}
		}
		if !submitted {
			continue // an earlier call's attempt: the next one may not exist yet
		}
		retries++
		log.Warnf(ctx, "bigquery: job %s failed transiently (%d of %d): %s", id, retries, maxAttempts, describe(status.Err()))
		if retries >= maxAttempts {
			return nil, fmt.Errorf("job %s: %d attempts failed transiently, the last with %s", base, retries, describe(status.Err()))
		}
		if err := gax.Sleep(ctx, backoff.Pause()); err != nil {
			return nil, fmt.Errorf("job %s: %w", base, err)
		}
	}
}

// probeOrSubmit returns attempt id: the existing job, checked to do the
// work of cfg, or the job it submits (submitted true).
func (r *JobRunner) probeOrSubmit(ctx context.Context, id string, cfg bigquery.JobConfig) (*bigquery.Job, bool, error) {
	job, err := r.Client.JobFromID(ctx, id)
	switch {
	case err == nil:
		return job, false, sameWork(id, job, cfg)
	case !isStatus(err, http.StatusNotFound):
		return nil, false, fmt.Errorf("probe job %s: %w", id, err)
	}
	job, err = r.submit(ctx, id, cfg)
	switch {
	case err == nil:
		return job, true, nil
	case isStatus(err, http.StatusConflict):
		// The client retried an insert whose answer was lost, or another
		// worker submitted the same attempt meanwhile: follow that job.
		if job, err = r.Client.JobFromID(ctx, id); err != nil {
			return nil, false, fmt.Errorf("get existing job %s: %w", id, err)
		}
		return job, false, sameWork(id, job, cfg)
	case refused(err):
		return nil, false, &JobFailedError{ID: id, Err: err}
	default:
		return nil, false, fmt.Errorf("start job %s: %w", id, err)
	}
}

// submit starts attempt id of cfg.
func (r *JobRunner) submit(ctx context.Context, id string, cfg bigquery.JobConfig) (*bigquery.Job, error) {
	switch c := cfg.(type) {
	case *bigquery.LoadConfig:
		// Built from the client, so that the loader has one to run with.
		l := r.Client.DatasetInProject(c.Dst.ProjectID, c.Dst.DatasetID).Table(c.Dst.TableID).LoaderFrom(c.Src)
		l.LoadConfig = *c
		l.JobID = id
		return l.Run(ctx)
	case *bigquery.QueryConfig:
		q := r.Client.Query(c.Q)
		q.QueryConfig = *c
		q.JobID = id
		return q.Run(ctx)
	}
	return nil, fmt.Errorf("job %s: a %T is not a load or query configuration", id, cfg)
}

// wait returns the job's final status, polling while it runs.
func (r *JobRunner) wait(ctx context.Context, job *bigquery.Job) (*bigquery.JobStatus, error) {
	poll := r.Poll
	if poll.Initial == 0 {
		poll = gax.Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2}
	}
	status := job.LastStatus()
	for status == nil || !status.Done() {
		if err := gax.Sleep(ctx, poll.Pause()); err != nil {
			return nil, err
		}
		var err error
		if status, err = job.Status(ctx); err != nil {
			return nil, err
		}
	}
	return status, nil
}

// transient reports whether a failed job's error is worth another attempt.
func transient(err error) bool {
	var be *bigquery.Error
	return (errors.As(err, &be) && slices.Contains(TransientReasons, be.Reason)) || ConcurrentUpdate(err)
}

// refused reports whether jobs.insert refused a job for good: a 4xx other
// than a conflict, a timeout or a rate limit (which the client retries).
func refused(err error) bool {
	var e *googleapi.Error
	return errors.As(err, &e) && e.Code >= 400 && e.Code < 500 &&
		e.Code != http.StatusConflict && e.Code != http.StatusRequestTimeout && e.Code != http.StatusTooManyRequests
}

// describe is a job's error as "reason: message".
func describe(err error) string {
	var be *bigquery.Error
	if errors.As(err, &be) {
		return be.Reason + ": " + be.Message
	}
	return err.Error()
}

// jobErrors lists the first errors of a failed job (the rows or files that
// failed), which its error result only summarizes.
func jobErrors(status *bigquery.JobStatus) []string {
	const show = 5
	var result string
	var be *bigquery.Error
	if errors.As(status.Err(), &be) {
		result = be.Message
	}
	var out []string
	for _, e := range status.Errors {
		if e.Message == result {
			continue // the error result itself
		}
		if len(out) == show {
			out = append(out, "... and more")
			break
		}
		out = append(out, e.Message)
	}
	return out
}

// sameWork checks that an existing attempt does what cfg asks: a job id
// reused for other work (the same run id given to different input) would
// otherwise pass for this one.
func sameWork(id string, job *bigquery.Job, cfg bigquery.JobConfig) error {
	got, err := job.Config()
	if err != nil {
		return fmt.Errorf("job %s: read its configuration: %w", id, err)
	}
	switch want := cfg.(type) {
	case *bigquery.LoadConfig:
		g, ok := got.(*bigquery.LoadConfig)
		if !ok || !sameTable(g.Dst, want.Dst) {
			return fmt.Errorf("job %s exists but is not a load into %s: run ids must not be reused for new input", id, tableName(want.Dst))
		}
		if gu, wu := sourceURIs(g.Src), sourceURIs(want.Src); !slices.Equal(gu, wu) {
			return fmt.Errorf("job %s exists but loads other files than the %d staged now: run ids must not be reused for new input", id, len(wu))
		}
	case *bigquery.QueryConfig:
		g, ok := got.(*bigquery.QueryConfig)
		if !ok || g.Q != want.Q || !sameTable(g.Dst, want.Dst) {
			return fmt.Errorf("job %s exists but runs another query: job ids must not be reused for other SQL", id)
		}
	}
	return nil
}

func sourceURIs(src bigquery.LoadSource) []string {
	ref, ok := src.(*bigquery.GCSReference)
	if !ok {
		return nil
	}
	return slices.Sorted(slices.Values(ref.URIs))
}

// sameTable compares table references; an empty project means the
// client's, which BigQuery fills in.
func sameTable(a, b *bigquery.Table) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.DatasetID == b.DatasetID && a.TableID == b.TableID &&
		(a.ProjectID == b.ProjectID || a.ProjectID == "" || b.ProjectID == "")
}

func tableName(t *bigquery.Table) string {
	if t == nil {
		return "no table"
	}
	return t.DatasetID + "." + t.TableID
}
