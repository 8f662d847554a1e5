-- Conversion by traffic source and device: sessions, engaged sessions,
-- converting sessions, conversion rate and revenue per default channel
-- group, source / medium and device type.
--
-- A session's source is that of its first event (fact_sessions'
-- default_channel_group, traffic_source and traffic_medium, GA4's
-- definitions): the source that brought the visit.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per (default_channel_group, traffic_source,
-- traffic_medium, device_type) over the range.
WITH in_range AS (
  SELECT default_channel_group, traffic_source, traffic_medium, device_type, is_engaged, had_purchase, revenue
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
)
SELECT
  default_channel_group,
  traffic_source,
  traffic_medium,
  device_type,
  COUNT(*) AS sessions,
  COUNT(CASE WHEN is_engaged THEN 1 END) AS engaged_sessions,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate,
  ROUND(SUM(revenue), 2) AS revenue,
  ROUND(SUM(revenue) / NULLIF(COUNT(*), 0), 2) AS revenue_per_session
FROM in_range
GROUP BY default_channel_group, traffic_source, traffic_medium, device_type
ORDER BY sessions DESC, default_channel_group, traffic_source, traffic_medium, device_type
