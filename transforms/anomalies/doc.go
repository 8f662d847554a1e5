// Package anomalies finds traffic anomalies in the stream of accepted
// events (live_anomalies, schemas.Anomaly): per minute of event time, the
// events, add-to-carts, checkout starts and purchases, and purchases given
// checkouts, each compared with a baseline.
//
// # Rule
//
// Each minute is judged on the Options.Span minutes ending with it (3 by
// default, so a change is seen within 3 minutes of its start and one odd
// minute is smoothed). The expected count is:
//
//   - "previous_days": the mean over earlier days (up to Options.Days) of the
//     same minutes of day, when the job has that history;
//   - else "trailing": the mean rate of the Options.Trailing (2 h) before the
//     span, times the span;
//   - for purchases given checkouts: the checkouts observed in the span times
//     the baseline's purchases per checkout (a payment outage leaves
//     checkouts and stops purchases).
//
// The observed count is outside the band when a Poisson variable with the
// expected mean would fall that low or that high with probability at most
// Options.Alpha (0.001) on that side. No verdict is given while the expected
// count is under Options.MinExpected (10): at low volume a count-based rule
// has no power, and a band around 2 would flag noise. No verdict is given
// either until the job has Options.Trailing of history before the span (the
// first 2 h): there is no baseline yet. A long anomaly writes a row per
// minute and metric; each row's anomaly_id is deterministic.
//
// # Execution
//
// Count sums the events per minute in fixed one-minute windows (fired when
// the watermark passes; events later than that are not counted). Judge keeps
// the minutes of the last Options.Days days plus the trailing window in the
// state of one key, in the global window, without timers (state works on
// Prism, per-key timers do not: apache/beam#35771): a minute's counts are a
// handful of numbers, so one key holds a week in well under a megabyte. A
// minute that fires twice (Prism can repeat a pane) is judged once.
package anomalies
