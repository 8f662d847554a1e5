//go:build cgo

package dimensions_test

import (
	"fmt"
	"testing"
	"time"
)

// The models give what the Go rules give: 200 randomized worlds, 8 to a
// warehouse (their ids are disjoint, and the rules work per device and per
// user), each warehouse with its own stitch window and its own way of
// receiving its dates: daily in order, daily in a random order (later dates
// first, then backfills), all at once, or with --rebuild_dimensions at each
// date. Compared after every step.
func TestModelsAgainstOracle(t *testing.T) {
	const worldsPerWarehouse = 8
	warehouses := 25
	if testing.Short() {
		warehouses = 4
	}
	for i := range warehouses {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			setup := newGen(uint64(1000+i), 0, 0)
			window := []time.Duration{time.Hour, 26 * time.Hour, 7 * 24 * time.Hour}[setup.rng.IntN(3)]
			days := 2 + setup.rng.IntN(4)
			mode := i % 4
			w := newWarehouse(t, window)
			var gens []*gen
			facts := make([][]facts, days)
			for k := range worldsPerWarehouse {
				g := newGen(uint64(i*worldsPerWarehouse+k), window, days)
				gens = append(gens, g)
				for d, f := range g.draw() {
					facts[d] = append(facts[d], f)
				}
			}
			order := setup.rng.Perm(days)
			if mode == 0 {
				for d := range order {
					order[d] = d
				}
			}
			var all []time.Time
			for _, d := range order {
				date := day0.AddDate(0, 0, d)
				w.commit(date, merge(facts[d]))
				all = append(all, date)
				switch mode {
				case 2:
					continue // one step for every date, below
				case 3:
					w.step(nil, true)
				default:
					w.step([]time.Time{date}, false)
				}
				check(t, fmt.Sprintf("mode %d, dates %v, after date %d", mode, order, d), w.snapshot(), w.oracle(), gens)
			}
			if mode == 2 {
				w.step(all, false)
				check(t, fmt.Sprintf("all dates at once (%v)", order), w.snapshot(), w.oracle(), gens)
			}
		})
	}
}
