// Scripted anomalies: a traffic spike and a checkout outage, with their truth.

package generate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// span returns the window on the first written day, in ms since the epoch.
func (g *gen) span(w Window) (from, to int64) {
	from = g.from + w.From.Milliseconds()
	return from, from + w.Length.Milliseconds()
}

// inOutage reports whether a purchase sent at t falls in the outage window.
// Placing an event may delay it by a few seconds, hence the margin before
// the window.
func (g *gen) inOutage(t int64) bool {
	if !g.cfg.Outage.on() {
		return false
	}
	from, to := g.span(g.cfg.Outage)
	return t >= from-10*msSecond && t < to
}

// spike adds one-visit visitors starting in the spike window until the
// events in it are SpikeFactor times what they were.
func (g *gen) spike() {
	from, to := g.span(g.cfg.Spike)
	in := func(evs []event) int {
		n := 0
		for i := range evs {
			if evs[i].t >= from && evs[i].t < to {
				n++
			}
		}
		return n
	}
	have := in(g.events)
	want := int(float64(have) * g.cfg.SpikeFactor)
	for have < want {
		first := len(g.events)
		pi := g.newPerson("p", false)
		d, di := g.newDevice(kindHuman, form(pickWeighted(g.rng, formWeights)))
		end, _ := g.humanVisit(d, di, g.uniform(from, to-1), visitPlan{person: pi, user: -1, account: -1})
		g.spikeVisitsEnd = max(g.spikeVisitsEnd, end)
		g.finishDevice(d)
		have += in(g.events[first:])
	}
}

// scriptedWindow is a window of truth_anomalies.json.
type scriptedWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// anomalyTruth is truth_anomalies.json.
type anomalyTruth struct {
	// Flat is the window of flat traffic (--flat) of the first day, if any.
	Flat *scriptedWindow `json:"flat,omitempty"`
	// Spike is the traffic spike, Factor its multiple of the events;
	// its visits go on after it, until SpikeVisitsEnd (the last event of
	// a visit started in it for the spike).
	Spike          *scriptedWindow `json:"spike,omitempty"`
	Factor         float64         `json:"spike_factor,omitempty"`
	SpikeVisitsEnd *time.Time      `json:"spike_visits_end,omitempty"`
	// Outage is the checkout outage: no purchase has its time in it.
	Outage *scriptedWindow `json:"outage,omitempty"`
}

// writeAnomalyTruth writes truth_anomalies.json when a window is scripted.
func (g *gen) writeAnomalyTruth() error {
	c := g.cfg
	if !c.Flat.on() && !c.Spike.on() && !c.Outage.on() {
		return nil
	}
	window := func(w Window) *scriptedWindow {
		if !w.on() {
			return nil
		}
		from, to := g.span(w)
		return &scriptedWindow{Start: time.UnixMilli(from).UTC(), End: time.UnixMilli(to).UTC()}
	}
	t := anomalyTruth{Flat: window(c.Flat), Spike: window(c.Spike), Outage: window(c.Outage)}
	if c.Spike.on() {
		end := time.UnixMilli(g.spikeVisitsEnd).UTC()
		t.Factor, t.SpikeVisitsEnd = c.SpikeFactor, &end
	}
	js, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encode anomaly truth: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.Out, "truth_anomalies.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write anomaly truth: %w", err)
	}
	return nil
}
