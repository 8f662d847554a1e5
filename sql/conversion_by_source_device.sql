-- Conversion by traffic source and device: sessions, engaged sessions,
-- converting sessions, conversion rate and revenue per traffic class,
-- campaign source and device type.
--
-- A session's source is that of its first event (fact_sessions.traffic_class
-- and utm_source): the source that brought the visit. utm_source is
-- '(none)' for sessions without one.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per (traffic_class, utm_source, device_type) over the range.
WITH in_range AS (
  SELECT traffic_class, COALESCE(utm_source, '(none)') AS source, device_type, is_engaged, had_purchase, revenue
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
)
SELECT
  traffic_class,
  source AS utm_source,
  device_type,
  COUNT(*) AS sessions,
  COUNT(CASE WHEN is_engaged THEN 1 END) AS engaged_sessions,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate,
  ROUND(SUM(revenue), 2) AS revenue,
  ROUND(SUM(revenue) / NULLIF(COUNT(*), 0), 2) AS revenue_per_session
FROM in_range
GROUP BY traffic_class, source, device_type
ORDER BY sessions DESC, traffic_class, source, device_type
