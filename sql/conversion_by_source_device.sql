-- Conversion by traffic source and device: sessions, engaged sessions,
-- converting sessions, conversion rate and revenue per default channel
-- group, source / medium and device type.
--
-- A session's source is that of its first event (fact_sessions'
-- default_channel_group, traffic_source and traffic_medium, GA4's
-- definitions): the source that brought the visit.
--
-- Revenue is per currency, never summed across currencies: currencies
-- (sorted; 'unknown' for purchases that named none), revenues and
-- revenues_per_session (each currency's revenue over all the sessions of
-- the row), parallel arrays, from fact_sessions.revenue_by_currency; NULL
-- without purchases.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per (default_channel_group, traffic_source,
-- traffic_medium, device_type) over the range.
WITH in_range AS (
  SELECT default_channel_group, traffic_source, traffic_medium, device_type, is_engaged, had_purchase, revenue_by_currency
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
source_groups AS (
  SELECT
    default_channel_group,
    traffic_source,
    traffic_medium,
    device_type,
    COUNT(*) AS sessions,
    COUNT(CASE WHEN is_engaged THEN 1 END) AS engaged_sessions,
    COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
    ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate
  FROM in_range
  GROUP BY default_channel_group, traffic_source, traffic_medium, device_type
),
by_currency AS (
  SELECT
    s.default_channel_group, s.traffic_source, s.traffic_medium, s.device_type,
    COALESCE(r.currency, 'unknown') AS revenue_currency,
    SUM(r.revenue) AS revenue
  FROM in_range AS s, UNNEST(s.revenue_by_currency) AS r
  GROUP BY s.default_channel_group, s.traffic_source, s.traffic_medium, s.device_type, revenue_currency
),
revenues AS (
  SELECT
    g.default_channel_group, g.traffic_source, g.traffic_medium, g.device_type,
    ARRAY_AGG(v.revenue_currency ORDER BY v.revenue_currency) AS currencies,
    ARRAY_AGG(ROUND(v.revenue, 2) ORDER BY v.revenue_currency) AS revenues,
    ARRAY_AGG(ROUND(v.revenue / g.sessions, 2) ORDER BY v.revenue_currency) AS revenues_per_session
  FROM by_currency AS v
  JOIN source_groups AS g
    ON g.default_channel_group IS NOT DISTINCT FROM v.default_channel_group
    AND g.traffic_source IS NOT DISTINCT FROM v.traffic_source
    AND g.traffic_medium IS NOT DISTINCT FROM v.traffic_medium
    AND g.device_type IS NOT DISTINCT FROM v.device_type
  GROUP BY g.default_channel_group, g.traffic_source, g.traffic_medium, g.device_type
)
SELECT
  g.default_channel_group,
  g.traffic_source,
  g.traffic_medium,
  g.device_type,
  g.sessions,
  g.engaged_sessions,
  g.converting_sessions,
  g.conversion_rate,
  r.currencies,
  r.revenues,
  r.revenues_per_session
FROM source_groups AS g
LEFT JOIN revenues AS r
  ON r.default_channel_group IS NOT DISTINCT FROM g.default_channel_group
  AND r.traffic_source IS NOT DISTINCT FROM g.traffic_source
  AND r.traffic_medium IS NOT DISTINCT FROM g.traffic_medium
  AND r.device_type IS NOT DISTINCT FROM g.device_type
ORDER BY g.sessions DESC, g.default_channel_group, g.traffic_source, g.traffic_medium, g.device_type
