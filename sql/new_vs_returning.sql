-- New vs returning visitors: sessions, conversion and revenue of visitors'
-- first sessions against their later ones.
--
-- A visitor is a device (browser cookie or app instance), as GA counts
-- users without a user id. A session is new when it is the device's first
-- in the whole warehouse: it starts at dim_devices.first_seen_at, the
-- device's first event (bots excluded); every other session is returning,
-- including the first session in the range of a device seen before
-- @start_date.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per visitor_type (new, returning) over the range.
WITH typed_sessions AS (
  SELECT
    CASE WHEN s.session_start = d.first_seen_at THEN 'new' ELSE 'returning' END AS visitor_kind,
    s.device_id,
    s.had_purchase,
    s.revenue
  FROM fact_sessions AS s
  JOIN dim_devices AS d ON d.device_id = s.device_id
  WHERE s.session_date BETWEEN @start_date AND @end_date
)
SELECT
  visitor_kind AS visitor_type,
  COUNT(*) AS sessions,
  COUNT(DISTINCT device_id) AS visitors,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate,
  ROUND(SUM(revenue), 2) AS revenue,
  ROUND(SUM(revenue) / NULLIF(COUNT(*), 0), 2) AS revenue_per_session
FROM typed_sessions
GROUP BY visitor_kind
ORDER BY visitor_type
