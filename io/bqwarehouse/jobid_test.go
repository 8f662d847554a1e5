package bqwarehouse

import (
	"regexp"
	"testing"
	"time"
)

func TestJobID(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	for _, tt := range []struct {
		runID, table string
		date         time.Time
		want         string
	}{
		{"20261124T073418Z-3ad67140", "fact_events", day, "clickstream_20261124T073418Z-3ad67140_fact_events_20261101"},
		{"nightly", "dim_pages", time.Time{}, "clickstream_nightly_dim_pages_all"},
	} {
		if got := jobID(tt.runID, tt.table, tt.date); got != tt.want {
			t.Errorf("jobID(%q, %q, %v) = %q, want %q", tt.runID, tt.table, tt.date, got, tt.want)
		}
	}
	// A run id with characters a job id cannot hold still gives a valid id,
	// distinct from the run id that sanitizes to the same text.
	dotted, plain := jobID("v1.2", "fact_events", day), jobID("v1_2", "fact_events", day)
	if !valid.MatchString(dotted) || dotted == plain {
		t.Errorf("jobID of v1.2 = %q, of v1_2 = %q", dotted, plain)
	}
	if jobID("v1.2", "fact_events", day) != dotted {
		t.Error("jobID is not deterministic")
	}
}
