//go:build !cgo

package pipelines

import (
	"context"
	"errors"

	"github.com/example/clickstream/io/dimensions"
)

// errNoLocalEngine is why a binary built without cgo (the Dataflow
// template's static build) cannot write the local warehouse.
var errNoLocalEngine = errors.New("the local warehouse's dimension step runs on DuckDB, which needs cgo, " +
	"and this binary was built with CGO_ENABLED=0 (the Dataflow template's build): " +
	"build it with cgo for --sink=local, or use --sink=bigquery")

// checkLocalEngine reports whether the binary can run the local
// warehouse's dimension step: without cgo it cannot.
func checkLocalEngine() error { return errNoLocalEngine }

// dimensionStep is never reached without cgo: validate refuses a local
// batch run first (checkLocalEngine).
func dimensionStep(context.Context, string, string, dimensions.Options) (dimensions.Result, error) {
	return dimensions.Result{}, errNoLocalEngine
}
