-- New vs returning visitors: sessions, conversion and revenue of visitors'
-- first sessions against their later ones.
--
-- A visitor is a device (browser cookie or app instance), as GA counts
-- users without a user id. A session is new when it is the device's first
-- in the whole warehouse: it starts at dim_devices.first_seen_at, the
-- device's first event (bots excluded); every other session is returning,
-- including the first session in the range of a device seen before
-- @start_date. A device not in dim_devices yet (the dimension step has not
-- run for its dates: a streaming day, a pending date) is taken as first
-- seen at its first session in the range.
--
-- Revenue is per currency, never summed across currencies: currencies
-- (sorted; 'unknown' for purchases that named none), revenues and
-- revenues_per_session (each currency's revenue over all the sessions of
-- the row), parallel arrays, from fact_sessions.revenue_by_currency; NULL
-- without purchases.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per visitor_type (new, returning) over the range.
WITH ranged_sessions AS (
  SELECT
    device_id,
    session_start,
    MIN(session_start) OVER (PARTITION BY device_id) AS first_start_in_range,
    had_purchase,
    revenue_by_currency
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
typed_sessions AS (
  SELECT
    CASE WHEN s.session_start = COALESCE(d.first_seen_at, s.first_start_in_range) THEN 'new' ELSE 'returning' END AS visitor_kind,
    s.device_id,
    s.had_purchase,
    s.revenue_by_currency
  FROM ranged_sessions AS s
  LEFT JOIN dim_devices AS d ON d.device_id = s.device_id
),
kinds AS (
  SELECT
    visitor_kind,
    COUNT(*) AS sessions,
    COUNT(DISTINCT device_id) AS visitors,
    COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
    ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate
  FROM typed_sessions
  GROUP BY visitor_kind
),
by_currency AS (
  SELECT s.visitor_kind, COALESCE(r.currency, 'unknown') AS revenue_currency, SUM(r.revenue) AS revenue
  FROM typed_sessions AS s, UNNEST(s.revenue_by_currency) AS r
  GROUP BY s.visitor_kind, revenue_currency
),
revenues AS (
  SELECT
    v.visitor_kind,
    ARRAY_AGG(v.revenue_currency ORDER BY v.revenue_currency) AS currencies,
    ARRAY_AGG(ROUND(v.revenue, 2) ORDER BY v.revenue_currency) AS revenues,
    ARRAY_AGG(ROUND(v.revenue / k.sessions, 2) ORDER BY v.revenue_currency) AS revenues_per_session
  FROM by_currency AS v
  JOIN kinds AS k ON k.visitor_kind = v.visitor_kind
  GROUP BY v.visitor_kind
)
SELECT
  k.visitor_kind AS visitor_type,
  k.sessions,
  k.visitors,
  k.converting_sessions,
  k.conversion_rate,
  r.currencies,
  r.revenues,
  r.revenues_per_session
FROM kinds AS k
LEFT JOIN revenues AS r ON r.visitor_kind = k.visitor_kind
ORDER BY visitor_type
