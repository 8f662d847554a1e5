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
// Minutes already out of their band for a metric are left out of that
// metric's baseline (a 15-minute x4 spike would otherwise raise a 2-hour
// mean by 38 % and make the next two hours look low), unless they are more
// than half of it: a lasting change becomes the new normal.
//
// The observed count is outside the band when a Poisson variable with the
// expected mean would fall that low or that high with probability at most
// Options.Alpha (1e-5) on that side, after dividing both by the metric's
// dispersion (quasi-Poisson): the variance over the mean of its span sums in
// the trailing window, at the estimate's 95 % upper confidence bound, at
// least 1. Events come in visits and vary about 4-6 times more than a
// Poisson count; add-to-carts, checkouts and purchases stay near 1. Alpha is
// small because the rule is tried 10 times a minute: at 0.001 a steady day
// would give about 14 false rows. No verdict is given while the expected
// count over the dispersion is under Options.MinExpected (10): at low volume
// a count-based rule has no power, and a band around 2 would flag noise. No
// verdict is given either until the job has Options.Trailing of history
// before the span (the first 2 h): there is no baseline yet. A long anomaly
// writes a row per minute and metric; each row's anomaly_id is
// deterministic. TestStream measures the rule on the generator's anomaly
// stream (tools/generate --anomaly_stream).
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
