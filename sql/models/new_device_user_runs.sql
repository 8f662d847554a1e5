-- The new state_device_user_runs partitions of the step's dates: per device
-- and date, the runs of consecutive events that carry the same user_key, in
-- (event_time, event_id) order, anonymous events skipped (they neither start
-- nor end a run), from that date's fact_events partition only.
-- Parameters: @first_date, @last_date (DATE): the first and last of the
-- step's dates, which step_dates lists.
-- Grain: one row per device_id, event_date and run.
-- Reads: fact_events of the step's dates.
WITH keyed AS (
  SELECT event_date, device_id, user_key, event_time, event_id,
    LAG(user_key) OVER (PARTITION BY event_date, device_id ORDER BY event_time, event_id) AS previous_user_key
  FROM fact_events
  WHERE event_date BETWEEN @first_date AND @last_date
    AND event_date IN (SELECT event_date FROM step_dates)
    AND user_key IS NOT NULL
),
numbered AS (
  SELECT event_date, device_id, user_key, event_time, event_id,
    previous_user_key IS DISTINCT FROM user_key AS starts_run,
    SUM(CASE WHEN previous_user_key IS DISTINCT FROM user_key THEN 1 ELSE 0 END) OVER (
      PARTITION BY event_date, device_id ORDER BY event_time, event_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run
  FROM keyed
),
runs AS (
  SELECT event_date, device_id, user_key, event_time, event_id, starts_run,
    MAX(event_time) OVER (PARTITION BY event_date, device_id, run) AS run_last_at
  FROM numbered
)
SELECT event_date, device_id, user_key, event_time AS run_start_at, event_id AS run_start_event_id, run_last_at
FROM runs
WHERE starts_run
