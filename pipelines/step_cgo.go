//go:build cgo

package pipelines

import (
	"context"
	"errors"

	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/warehouse/duck"
)

// checkLocalEngine reports whether the binary can run the local
// warehouse's dimension step: with cgo it links DuckDB.
func checkLocalEngine() error { return nil }

// dimensionStep runs the dimension step on the local warehouse out, with
// DuckDB (duck.Engine), which stages and commits its writes under
// stepRunID.
func dimensionStep(ctx context.Context, out, stepRunID string, opts dimensions.Options) (dimensions.Result, error) {
	e, err := duck.NewEngine(ctx, out, stepRunID)
	if err != nil {
		return dimensions.Result{}, err
	}
	res, err := dimensions.Run(ctx, e, opts)
	return res, errors.Join(err, e.Close())
}
