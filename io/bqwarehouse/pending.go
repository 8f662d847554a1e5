package bqwarehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func([]byte), error](&pendingFn{})
	register.DoFn4x0[string, stagedFile, func(*[]byte) bool, func(string, stagedFile)](&afterFn{})
	register.Emitter1[[]byte]()
	register.Iter1[[]byte]()
}

// Pending marks the dates the run owns (o.Owned) pending in state_dates
// (MarkPending, one transaction), in a stage of the pipeline, and returns
// PCollection<[]byte>: one element once they are. Given to Load as
// LoadOptions.After, it makes every load job wait for it, so that a run
// whose job dies after some loads leaves their dates pending for the next
// dimension step, as the local warehouse commits the pending marks with
// the facts. It needs o.Project, o.Dataset, o.RunID and o.Owned (o.Endpoint
// for tests).
func Pending(s beam.Scope, o LoadOptions) beam.PCollection {
	s = s.Scope("bigquery.Pending")
	if o.Project == "" || o.Dataset == "" || !runIDPattern.MatchString(o.RunID) || len(o.Owned) == 0 {
		panic(fmt.Sprintf("bigquery.Pending: needs a Project, a Dataset, a valid RunID and the Owned dates, got %+v", o))
	}
	return beam.ParDo(s, &pendingFn{
		Project: o.Project, Dataset: o.Dataset, Endpoint: o.Endpoint, RunID: o.RunID, Dates: dateKeys(o.Owned),
	}, beam.Impulse(s))
}

// pendingFn marks the dates pending when its one element comes.
type pendingFn struct {
	// Project and Dataset hold state_dates.
	Project, Dataset string
	// Endpoint overrides the REST API's base URL (tests).
	Endpoint string
	// RunID names the run in state_dates and in the job's id.
	RunID string
	// Dates are the dates to mark, YYYY-MM-DD.
	Dates []string
}

// ProcessElement opens its client itself: it runs once per run, and Prism
// never calls Teardown.
func (f *pendingFn) ProcessElement(ctx context.Context, _ []byte, emit func([]byte)) error {
	dates := make([]time.Time, len(f.Dates))
	for i, k := range f.Dates {
		d, err := time.Parse(time.DateOnly, k)
		if err != nil {
			return fmt.Errorf("bigquery: pending date %q: %w", k, err)
		}
		dates[i] = d
	}
	client, err := NewClient(ctx, f.Project, f.Dataset, f.Endpoint)
	if err != nil {
		return err
	}
	err = MarkPending(ctx, &JobRunner{Client: client}, f.Dataset, f.RunID, dates)
	if err := errors.Join(err, client.Close()); err != nil {
		return err
	}
	emit(nil)
	return nil
}

// afterFn passes the staged files on once its side input (LoadOptions.After)
// is complete: a side input is read whole before the first element.
type afterFn struct{}

func (afterFn) ProcessElement(key string, file stagedFile, _ func(*[]byte) bool, emit func(string, stagedFile)) {
	emit(key, file)
}
