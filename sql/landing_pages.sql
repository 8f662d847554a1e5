-- Landing-page performance: per landing page, sessions, bounce rate,
-- engaged-session rate, conversion rate and revenue.
--
-- The landing page is the path of the session's first event with a page
-- (fact_sessions.landing_page_path; '(none)' if no event had one). A bounce
-- is a one-event session (is_bounce); engaged is GA4's rule (is_engaged:
-- over 10 s, 2+ page or product views, or a purchase), so GA4's bounce rate
-- is 1 - engaged_rate.
--
-- Revenue is per currency, never summed across currencies: currencies
-- (sorted; 'unknown' for purchases that named none) and revenues, parallel
-- arrays, from fact_sessions.revenue_by_currency; NULL without purchases.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per landing_page_path over the range.
WITH in_range AS (
  SELECT COALESCE(landing_page_path, '(none)') AS landing_page, is_bounce, is_engaged, had_purchase, revenue_by_currency
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
pages AS (
  SELECT
    landing_page,
    COUNT(*) AS sessions,
    COUNT(CASE WHEN is_bounce THEN 1 END) AS bounces,
    ROUND(COUNT(CASE WHEN is_bounce THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS bounce_rate,
    COUNT(CASE WHEN is_engaged THEN 1 END) AS engaged_sessions,
    ROUND(COUNT(CASE WHEN is_engaged THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS engaged_rate,
    COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
    ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate
  FROM in_range
  GROUP BY landing_page
),
by_currency AS (
  SELECT s.landing_page, COALESCE(r.currency, 'unknown') AS revenue_currency, ROUND(SUM(r.revenue), 2) AS revenue
  FROM in_range AS s, UNNEST(s.revenue_by_currency) AS r
  GROUP BY s.landing_page, revenue_currency
),
revenues AS (
  SELECT
    landing_page,
    ARRAY_AGG(revenue_currency ORDER BY revenue_currency) AS currencies,
    ARRAY_AGG(revenue ORDER BY revenue_currency) AS revenues
  FROM by_currency
  GROUP BY landing_page
)
SELECT
  p.landing_page AS landing_page_path,
  p.sessions,
  p.bounces,
  p.bounce_rate,
  p.engaged_sessions,
  p.engaged_rate,
  p.converting_sessions,
  p.conversion_rate,
  r.currencies,
  r.revenues
FROM pages AS p
LEFT JOIN revenues AS r ON r.landing_page = p.landing_page
ORDER BY p.sessions DESC, p.landing_page
