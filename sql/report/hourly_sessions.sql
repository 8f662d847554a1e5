-- Sessions and conversion per hour by channel group: for each UTC hour of
-- session_start, the sessions of each channel group, the converting ones
-- and the conversion rate.
--
-- fact_sessions has no channel group yet (issue 15): until it does, the
-- session's traffic_class (of its first event) stands in for it, named
-- channel_group here so that only the marked line changes when the column
-- arrives.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per session_date, hour (0-23, UTC) and channel_group.
WITH in_range AS (
  SELECT
    session_date,
    EXTRACT(HOUR FROM session_start) AS session_hour,
    traffic_class AS channel, -- the channel-group column, once fact_sessions has it
    had_purchase
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
)
SELECT
  session_date AS day,
  session_hour AS hour,
  channel AS channel_group,
  COUNT(*) AS sessions,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate
FROM in_range
GROUP BY session_date, session_hour, channel
ORDER BY day, hour, channel_group
