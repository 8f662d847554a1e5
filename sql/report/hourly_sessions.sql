-- Sessions and conversion per hour by channel group: for each UTC hour of
-- session_start, the sessions of each default channel group (GA4's
-- definitions, of the session's first event), the converting ones and the
-- conversion rate.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per session_date, hour (0-23, UTC) and channel_group.
WITH in_range AS (
  SELECT
    session_date,
    EXTRACT(HOUR FROM session_start) AS session_hour,
    default_channel_group,
    had_purchase
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
)
SELECT
  session_date AS day,
  session_hour AS hour,
  default_channel_group AS channel_group,
  COUNT(*) AS sessions,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate
FROM in_range
GROUP BY session_date, session_hour, default_channel_group
ORDER BY day, hour, channel_group
