package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	dataflow "google.golang.org/api/dataflow/v1b3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// The Dataflow job states a job ends in; every other state may still change.
// Only jobDone is a success for a batch job.
const jobDone = "JOB_STATE_DONE"

var finalStates = []string{jobDone, "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_UPDATED", "JOB_STATE_DRAINED"}

const (
	// maxPollErrors is how many polls in a row may fail (server errors,
	// throttling, the network) before waiting gives up: a batch job runs
	// for hours, longer than the API is always reachable.
	maxPollErrors = 5
	// maxErrorMessages is how many of a failed job's error messages are
	// reported, the newest.
	maxErrorMessages = 5
)

// waitForJob polls the Dataflow job of o until it ends, printing its state
// and the time waited to progress at each poll. It returns the job's id, and
// an error when the job ended other than done (with its state and newest
// error messages) or could not be read.
func waitForJob(ctx context.Context, o options, progress io.Writer) (string, error) {
	opts := []option.ClientOption{}
	if o.dataflowEndpoint != "" {
		opts = append(opts, option.WithEndpoint(o.dataflowEndpoint), option.WithoutAuthentication())
	}
	svc, err := dataflow.NewService(ctx, opts...)
	if err != nil {
		return "", fmt.Errorf("dataflow client: %w", err)
	}
	jobs := svc.Projects.Locations.Jobs
	id := o.jobID
	if id == "" {
		if id, err = findJob(ctx, jobs, o.project, o.region, o.jobName); err != nil {
			return "", err
		}
	}
	fmt.Fprintf(progress, "waiting for Dataflow job %s in %s/%s, polling every %v\n", id, o.project, o.region, o.poll)
	start := time.Now()
	failures := 0
	for {
		job, err := jobs.Get(o.project, o.region, id).View("JOB_VIEW_SUMMARY").Context(ctx).Do()
		waited := time.Since(start).Round(time.Second)
		switch {
		case ctx.Err() != nil:
			return id, stopped(ctx, id)
		case err != nil && transient(err) && failures+1 < maxPollErrors:
			failures++
			fmt.Fprintf(progress, "job %s: reading its state failed (%d in a row, trying again): %v\n", id, failures, err)
		case err != nil:
			return id, fmt.Errorf("read Dataflow job %s: %w", id, err)
		case slices.Contains(finalStates, job.CurrentState):
			fmt.Fprintf(progress, "job %s (%s): %s after %v\n", id, job.Name, job.CurrentState, waited)
			if job.CurrentState != jobDone {
				return id, jobFailure(ctx, jobs, o, job)
			}
			return id, nil
		default:
			failures = 0
			fmt.Fprintf(progress, "job %s (%s): %s, waited %v\n", id, job.Name, job.CurrentState, waited)
		}
		select {
		case <-ctx.Done():
			return id, stopped(ctx, id)
		case <-time.After(o.poll):
		}
	}
}

// stopped is the error of a wait interrupted (ctx done): the job goes on.
func stopped(ctx context.Context, id string) error {
	return fmt.Errorf("stopped waiting for Dataflow job %s, which goes on: %w", id, ctx.Err())
}

// findJob returns the id of the newest job named name.
func findJob(ctx context.Context, jobs *dataflow.ProjectsLocationsJobsService, project, region, name string) (string, error) {
	var newest *dataflow.Job
	err := jobs.List(project, region).Name(name).Filter("ALL").Pages(ctx, func(page *dataflow.ListJobsResponse) error {
		for _, j := range page.Jobs {
			if j.Name == name && (newest == nil || apiTime(j.CreateTime).After(apiTime(newest.CreateTime))) {
				newest = j
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("list Dataflow jobs named %s: %w", name, err)
	}
	if newest == nil {
		return "", fmt.Errorf("no Dataflow job named %s in %s/%s", name, project, region)
	}
	return newest.Id, nil
}

// transient reports whether a failed read of the job is worth repeating.
func transient(err error) bool {
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.Code == http.StatusTooManyRequests || apiErr.Code >= http.StatusInternalServerError
	}
	// Not an answer of the API: the network.
	return true
}

// jobFailure is the error of a job that ended other than done: its state and
// its newest error messages, when they can be read.
func jobFailure(ctx context.Context, jobs *dataflow.ProjectsLocationsJobsService, o options, job *dataflow.Job) error {
	msg := fmt.Sprintf("Dataflow job %s (%s) ended %s", job.Id, job.Name, job.CurrentState)
	var messages []*dataflow.JobMessage
	err := jobs.Messages.List(o.project, o.region, job.Id).MinimumImportance("JOB_MESSAGE_ERROR").
		Pages(ctx, func(page *dataflow.ListJobMessagesResponse) error {
			messages = append(messages, page.JobMessages...)
			return nil
		})
	if err != nil {
		return fmt.Errorf("%s (its error messages could not be read: %v)", msg, err)
	}
	if len(messages) == 0 {
		return errors.New(msg)
	}
	slices.SortStableFunc(messages, func(a, b *dataflow.JobMessage) int {
		return apiTime(a.Time).Compare(apiTime(b.Time))
	})
	messages = messages[max(0, len(messages)-maxErrorMessages):]
	lines := make([]string, len(messages))
	for i, m := range messages {
		lines[i] = m.Time + " " + m.MessageText
	}
	return fmt.Errorf("%s; its newest error messages:\n  %s", msg, strings.Join(lines, "\n  "))
}

// apiTime parses a time of the API (RFC 3339); an unreadable one is the zero
// time, which sorts first.
func apiTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
