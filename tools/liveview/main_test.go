package main

import (
	"strings"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
)

// The view sums the newest window's latest pane per group, counts distinct
// triggers, recoveries and anomalies, and leaves out rows decided before
// it started.
func TestShowLines(t *testing.T) {
	since := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	w1 := time.Date(2026, 11, 1, 13, 40, 0, 0, time.UTC)
	w2 := w1.Add(10 * time.Minute)
	funnel := []schemas.LiveFunnel{
		{WindowStart: w1, DefaultChannelGroup: "Direct", DeviceType: "mobile", PaneIndex: 0, ProductViewers: 50, FiredAt: since},
		{WindowStart: w2, DefaultChannelGroup: "Direct", DeviceType: "mobile", PaneIndex: 0, PaneTiming: schemas.PaneEarly, ProductViewers: 3, CartAdders: 1, FiredAt: since},
		{WindowStart: w2, DefaultChannelGroup: "Direct", DeviceType: "mobile", PaneIndex: 1, PaneTiming: schemas.PaneOnTime, ProductViewers: 7, CartAdders: 2, FiredAt: since.Add(time.Second)},
		{WindowStart: w2, DefaultChannelGroup: "Email", DeviceType: "desktop", PaneIndex: 0, PaneTiming: schemas.PaneOnTime, ProductViewers: 4, Purchasers: 1, FiredAt: since},
		{WindowStart: w2.Add(time.Hour), ProductViewers: 99, FiredAt: since.Add(-time.Minute)}, // an earlier run's
	}
	if got, want := funnelLine(funnel, since), "funnel 2026-11-01 13:50-14:00 (on_time, 2 groups): viewers 11  cart 2  checkout 0  purchase 1"; got != want {
		t.Errorf("funnelLine = %q, want %q", got, want)
	}
	carts := []schemas.CartAbandonment{
		{TriggerID: "a", Status: "abandoned", DecidedAt: since}, {TriggerID: "a", Status: "abandoned", DecidedAt: since},
		{TriggerID: "b", Status: "abandoned", DecidedAt: since}, {TriggerID: "b", Status: schemas.CartRecovered, DecidedAt: since},
		{TriggerID: "old", Status: "abandoned", DecidedAt: since.Add(-time.Hour)},
	}
	if got, want := cartLine(carts, since), "abandoned carts 2 (recovered 1)"; got != want {
		t.Errorf("cartLine = %q, want %q", got, want)
	}
	anomalies := []schemas.Anomaly{
		{AnomalyID: "x", Metric: "purchases", Direction: "low", Minute: w1, Observed: 0, Expected: 9.5, DecidedAt: since},
		{AnomalyID: "y", Metric: "events", Direction: "high", Minute: w2, Observed: 300, Expected: 80, DecidedAt: since},
	}
	if got := anomalyLine(anomalies, since); !strings.HasPrefix(got, "anomalies 2 (newest: events high at 13:50, 300 vs 80.0 expected)") {
		t.Errorf("anomalyLine = %q", got)
	}
	if got := anomalyLine(anomalies, since.Add(time.Hour)); got != "anomalies 0" {
		t.Errorf("anomalyLine before any = %q", got)
	}
}
