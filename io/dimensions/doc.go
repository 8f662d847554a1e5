// Package dimensions is the dimension step: after a run's facts are
// committed (or loaded), it brings dim_device_users, dim_devices, dim_users
// and dim_pages up to date and resolves again the fact_sessions rows whose
// resolved_user_key changes, by running the SQL models of sql/models on an
// Engine: DuckDB over the local warehouse (io/warehouse/duck) or BigQuery.
// The rules are the README's (Identity, Pages); this package decides the
// order of the models, which of them run, and what is written.
//
//	e, err := duck.NewEngine(ctx, "warehouse", runID)
//	...
//	res, err := dimensions.Run(ctx, e, dimensions.Options{RunID: runID, Dates: owned, PageTypes: rules})
//
// # State
//
// For each date it processes, the step rebuilds that date's partitions of
// the state tables (state_device_days, state_device_user_runs,
// state_page_days) from that date's fact_events partition only, and
// compares them with what they held: the devices whose state changed are
// touched. The dimensions are aggregates of the state, never of fact_events.
//
// # Appended or recomputed
//
// A touched device whose new dates all come after everything it had (no
// old state on the step's dates, last seen before its first new date: the
// daily case) is appended to: its new dimension rows combine its old rows
// with the new state, as its users' rows do. Any other touched device (a
// re-run or a backfill changed its history) is recomputed from all its
// state rows, and its users from all their runs; only then does the step
// read whole state tables (Result.Conditional says which models did).
//
// # Re-resolution
//
// Every session of the step's dates is resolved, and for each device whose
// bridge changed, the sessions in the span whose resolution may differ
// (from the first change, less the stitch window when the first period
// changed, to the first period of the bridge's unchanged tail). Only the
// fact_sessions rows whose resolved_user_key changes are written.
//
// # Pending dates and failures
//
// A run marks its dates pending in state_dates when it replaces their
// facts (Pending gives the rows; locally they are staged with the facts and
// committed with them); the step processes
// its own dates and every pending one, and marks them built in the same
// atomic Engine.Apply that writes everything else. A step that fails writes
// nothing: its dates stay pending and the next step processes them.
// Options.Rebuild (--rebuild_dimensions) processes every date and
// recomputes every row from the facts.
package dimensions
