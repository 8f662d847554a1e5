// Command liveview prints, every few seconds while a local streaming run
// writes its warehouse, a compact view of the live tables: the newest
// 10-minute funnel window (its latest pane per traffic group, summed), the
// cart-abandonment triggers and recoveries so far, and the anomalies so
// far with the newest one. make run-streaming runs it beside the pipeline.
//
//	liveview --warehouse=warehouse-streaming --every=5s
//
// Only rows decided since it started count (fired_at, decided_at), so
// earlier runs into the same warehouse do not show. It reads the tables'
// Parquet files (io/warehouse), which a streaming run publishes whole, and
// runs until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

var (
	dir   = flag.String("warehouse", "warehouse-streaming", "The local warehouse the streaming run writes.")
	every = flag.Duration("every", 5*time.Second, "How often to print.")
)

func main() {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	since := time.Now()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := show(os.Stdout, *dir, since, time.Since(since)); err != nil {
				fmt.Fprintf(os.Stderr, "liveview: %v\n", err)
			}
		}
	}
}

// show prints one view of the live tables' rows decided since since.
func show(out io.Writer, dir string, since time.Time, elapsed time.Duration) error {
	funnel, err := warehouse.ReadRows[schemas.LiveFunnel](dir, "live_funnel_10m", nil)
	if err != nil {
		return err
	}
	carts, err := warehouse.ReadRows[schemas.CartAbandonment](dir, "cart_abandonment", nil)
	if err != nil {
		return err
	}
	anomalies, err := warehouse.ReadRows[schemas.Anomaly](dir, "live_anomalies", nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "live %s  %s\n", elapsed.Truncate(time.Second), funnelLine(funnel, since))
	fmt.Fprintf(out, "     %*s  %s  %s\n", len(elapsed.Truncate(time.Second).String()), "", cartLine(carts, since), anomalyLine(anomalies, since))
	return nil
}

// funnelLine sums the newest window's latest pane per group.
func funnelLine(rows []schemas.LiveFunnel, since time.Time) string {
	var newest time.Time
	for _, r := range rows {
		if !r.FiredAt.Before(since) && r.WindowStart.After(newest) {
			newest = r.WindowStart
		}
	}
	if newest.IsZero() {
		return "funnel: no window fired yet"
	}
	latest := map[string]schemas.LiveFunnel{}
	for _, r := range rows {
		group := r.DefaultChannelGroup + "|" + r.DeviceType
		if have, ok := latest[group]; r.WindowStart.Equal(newest) && (!ok || r.PaneIndex > have.PaneIndex) {
			latest[group] = r
		}
	}
	var viewers, carts, checkouts, buyers int64
	timing := schemas.PaneOnTime
	for _, r := range latest {
		viewers, carts, checkouts, buyers = viewers+r.ProductViewers, carts+r.CartAdders, checkouts+r.CheckoutStarters, buyers+r.Purchasers
		if r.PaneTiming == schemas.PaneEarly {
			timing = schemas.PaneEarly
		}
	}
	return fmt.Sprintf("funnel %s-%s (%s, %d groups): viewers %d  cart %d  checkout %d  purchase %d",
		newest.UTC().Format("2006-01-02 15:04"), newest.Add(10*time.Minute).UTC().Format("15:04"), timing, len(latest),
		viewers, carts, checkouts, buyers)
}

// cartLine counts the distinct triggers and recoveries.
func cartLine(rows []schemas.CartAbandonment, since time.Time) string {
	triggers, recovered := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		if r.DecidedAt.Before(since) {
			continue
		}
		if r.Status == schemas.CartRecovered {
			recovered[r.TriggerID] = true
		} else {
			triggers[r.TriggerID] = true
		}
	}
	return fmt.Sprintf("abandoned carts %d (recovered %d)", len(triggers), len(recovered))
}

// anomalyLine counts the distinct anomalies and names the newest.
func anomalyLine(rows []schemas.Anomaly, since time.Time) string {
	ids := map[string]bool{}
	var newest schemas.Anomaly
	for _, r := range rows {
		if r.DecidedAt.Before(since) {
			continue
		}
		ids[r.AnomalyID] = true
		if r.Minute.After(newest.Minute) {
			newest = r
		}
	}
	if len(ids) == 0 {
		return "anomalies 0"
	}
	return fmt.Sprintf("anomalies %d (newest: %s %s at %s, %d vs %.1f expected)", len(ids),
		newest.Metric, newest.Direction, newest.Minute.UTC().Format("15:04"), newest.Observed, newest.Expected)
}
