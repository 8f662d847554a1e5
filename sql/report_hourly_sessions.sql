-- Sessions and conversion per hour by traffic class: for each UTC hour of
-- session_start, the sessions of each traffic_class (of the session's first
-- event), the converting ones and the conversion rate. traffic_class
-- stands in for a channel group until fact_sessions has one.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per session_date, hour (0-23, UTC) and traffic_class.
SELECT
  session_date AS day,
  EXTRACT(HOUR FROM session_start) AS hour,
  traffic_class,
  COUNT(*) AS sessions,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate
FROM fact_sessions
WHERE session_date BETWEEN @start_date AND @end_date
GROUP BY session_date, EXTRACT(HOUR FROM session_start), traffic_class
ORDER BY day, hour, traffic_class
