package storagewrite

import (
	"fmt"
	"time"
)

// Options configures Append.
type Options struct {
	// Project and Dataset hold the tables.
	Project, Dataset string
	// Endpoint is the host:port of a fake Write API server (insecure gRPC,
	// no authentication), e.g. a storagewritetest.Server; empty means
	// Google's endpoint with the environment's credentials.
	Endpoint string
	// MaxBatchRows is the most rows in one AppendRows request (default
	// DefaultMaxBatchRows); a request is also kept under the API's 10 MB
	// limit.
	MaxBatchRows int
	// MaxAttempts is how many rounds of sends a bundle makes while some of
	// its requests keep failing with transient errors, with backoff between
	// rounds (default DefaultMaxAttempts); then the bundle fails and the
	// runner retries it.
	MaxAttempts int
}

// Defaults of Options.
const (
	DefaultMaxBatchRows = 500
	DefaultMaxAttempts  = 8
)

// maxRequestBytes bounds the rows of one request: the API takes requests of
// up to 10 MB, and the first request on a connection also carries the
// stream name and the schema descriptor.
const maxRequestBytes = 9 << 20

// Backoff between attempts: doubling from backoffInitial up to backoffMax
// (gax picks a random pause up to the current bound), so that the default
// eight attempts wait up to about a minute in all.
const (
	backoffInitial = 250 * time.Millisecond
	backoffMax     = 30 * time.Second
)

// requestTimeout bounds the wait for one request's result; a request that
// times out is sent again like one that failed with a transient error.
const requestTimeout = 2 * time.Minute

// withDefaults returns o with the defaults filled in, or an error when a
// required field is missing.
func (o Options) withDefaults() (Options, error) {
	if o.Project == "" || o.Dataset == "" {
		return o, fmt.Errorf("storagewrite: Options need Project and Dataset (got %q, %q)", o.Project, o.Dataset)
	}
	if o.MaxBatchRows <= 0 {
		o.MaxBatchRows = DefaultMaxBatchRows
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	return o, nil
}
