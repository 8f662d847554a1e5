-- Weekly cohort retention: of the visitors whose first visit fell in a
-- week, how many visited again in each later week.
--
-- A visitor is a device (browser cookie or app instance), as GA counts
-- users without a user id; its first visit is dim_devices.first_seen_at,
-- its first event in the whole warehouse (bots excluded), so a device first
-- seen before @start_date belongs to no cohort. A device not in dim_devices
-- yet (the dimension step has not run for its dates: a streaming day, a
-- pending date) is taken as first seen at its first visit in the range.
-- Weeks start on Monday, UTC; a visitor is active in a week when one of its
-- sessions started in it, so week 0 (the cohort's own week) has a
-- retention of 1. The first and last
-- weeks of the range may be partial: @start_date and @end_date cut them.
-- Weeks are counted from day numbers (days since 1970-01-01, a Thursday)
-- because the engines truncate dates to weeks differently; the days back to
-- Monday are subtracted as an integer literal because DuckDB has no
-- DATE - BIGINT.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range
-- of the visits; the cohorts are the devices first seen within it.
-- Grain: one row per (cohort_week, weeks_since_first_visit) with at least
-- one active visitor.
WITH visit_days AS (
  SELECT DISTINCT
    device_id,
    session_date,
    CAST(UNIX_MICROS(CAST(session_date AS TIMESTAMP)) / 86400000000 AS INT64) AS day_number
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
visit_weeks AS (
  SELECT DISTINCT
    device_id,
    session_date - CASE MOD(day_number + 3, 7) WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 3 WHEN 4 THEN 4 WHEN 5 THEN 5 ELSE 6 END AS week_start,
    day_number - MOD(day_number + 3, 7) AS monday_number
  FROM visit_days
),
cohort_members AS (
  SELECT v.device_id, MIN(v.week_start) AS first_week, MIN(v.monday_number) AS first_monday
  FROM visit_weeks AS v
  LEFT JOIN dim_devices AS d ON d.device_id = v.device_id
  WHERE d.device_id IS NULL OR CAST(d.first_seen_at AS DATE) >= @start_date
  GROUP BY v.device_id
),
cohort_sizes AS (
  SELECT first_week, COUNT(*) AS members
  FROM cohort_members
  GROUP BY first_week
)
SELECT
  c.first_week AS cohort_week,
  CAST((v.monday_number - c.first_monday) / 7 AS INT64) AS weeks_since_first_visit,
  z.members AS cohort_visitors,
  COUNT(*) AS active_visitors,
  ROUND(COUNT(*) / z.members, 4) AS retention_rate
FROM cohort_members AS c
JOIN visit_weeks AS v ON v.device_id = c.device_id
JOIN cohort_sizes AS z ON z.first_week = c.first_week
GROUP BY c.first_week, v.monday_number, c.first_monday, z.members
ORDER BY cohort_week, weeks_since_first_visit
