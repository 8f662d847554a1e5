package identity

import (
	"fmt"
	"time"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// Options configure Apply.
type Options struct {
	// StitchWindow is how long before a device's first login its anonymous
	// sessions resolve to that user; 0 means DefaultStitchWindow.
	StitchWindow time.Duration
}

// Result is what Apply changed.
type Result struct {
	// RunID names the commit that replaced the tables.
	RunID string
	// DeviceUsers, Devices and Users are the rows of the rebuilt dimensions.
	DeviceUsers, Devices, Users int
	// Rewritten are the fact_sessions partitions whose resolution changed,
	// sorted by date; no other partition was written.
	Rewritten []Rewrite
}

// Rewrite is one rewritten fact_sessions partition.
type Rewrite struct {
	Date time.Time
	// Sessions are the rows of the partition, Changed those whose
	// resolved_user_key changed.
	Sessions, Changed int
}

// Apply is the identity step the driver runs after a run's commit: it
// rebuilds dim_device_users, dim_devices and dim_users from every committed
// fact_events partition, resolves every committed session through the
// bridge, and stages under runID the dimensions and only the fact_sessions
// partitions in which some resolved_user_key changed, then commits them with
// the warehouse's journaled commit. fact_events is never rewritten.
//
// Everything is derived from the committed warehouse, so the result does not
// depend on which runs brought which events, and a crash anywhere leaves
// either the previous tables (the next run's Apply redoes the work) or a
// journaled commit that warehouse.Recover completes.
func Apply(out, runID string, opts Options) (Result, error) {
	window := opts.StitchWindow
	if window == 0 {
		window = DefaultStitchWindow
	}
	res := Result{RunID: runID}
	dims, err := loadDims(out)
	if err != nil {
		return res, err
	}
	resolver := NewResolver(dims.DeviceUsers, window)

	dates, err := warehouse.Dates(out, "fact_sessions")
	if err != nil {
		return res, fmt.Errorf("identity: %w", err)
	}
	for _, d := range dates {
		rows, err := warehouse.ReadRows[schemas.Session](out, "fact_sessions", []time.Time{d})
		if err != nil {
			return res, fmt.Errorf("identity: %w", err)
		}
		changed := 0
		for i := range rows {
			s := &rows[i]
			if k := resolver.Resolve(s.DeviceID, s.UserKey, s.SessionStart); k != s.ResolvedUserKey {
				s.ResolvedUserKey = k
				changed++
			}
		}
		if changed == 0 {
			continue
		}
		if err := warehouse.Stage(out, runID, "fact_sessions", rows); err != nil {
			return res, fmt.Errorf("identity: %w", err)
		}
		res.Rewritten = append(res.Rewritten, Rewrite{Date: d, Sessions: len(rows), Changed: changed})
	}

	if err := warehouse.Stage(out, runID, "dim_device_users", dims.DeviceUsers); err != nil {
		return res, fmt.Errorf("identity: %w", err)
	}
	if err := warehouse.Stage(out, runID, "dim_devices", dims.Devices); err != nil {
		return res, fmt.Errorf("identity: %w", err)
	}
	if err := warehouse.Stage(out, runID, "dim_users", dims.Users); err != nil {
		return res, fmt.Errorf("identity: %w", err)
	}
	if _, err := warehouse.Commit(out, runID, nil); err != nil {
		return res, fmt.Errorf("identity: %w", err)
	}
	res.DeviceUsers, res.Devices, res.Users = len(dims.DeviceUsers), len(dims.Devices), len(dims.Users)
	return res, nil
}

// loadDims builds the dimensions from every committed fact_events partition;
// the events are dropped once it returns, before the sessions are read.
func loadDims(out string) (Dims, error) {
	events, err := warehouse.ReadRows[Event](out, "fact_events", nil)
	if err != nil {
		return Dims{}, fmt.Errorf("identity: %w", err)
	}
	return BuildDims(events), nil
}
