-- Daily purchase funnel by session: sessions, sessions that viewed a product,
-- added to cart, started checkout and purchased, and the conversion rate.
--
-- The data-model seed's funnel query, corrected:
--   * it filters on the partition column, session_date, not on
--     DATE(session_start) (which scans every partition) over a relative
--     window: the caller names the days;
--   * it keeps anonymous sessions: the seed's inner join to dim_users on
--     user_key dropped every session without a logged-in user, which is
--     most traffic (and every session of a user not yet in dim_users);
--     fact_sessions carries everything the funnel needs, so there is no join;
--   * a session across midnight counts once, on the UTC day it started.
-- Steps count sessions with at least one such event, not the order of
-- events, as GA4's open funnels do.
--
-- Revenue is per currency, never summed across currencies: currencies
-- (sorted; 'unknown' for purchases that named none) and revenues, parallel
-- arrays, from fact_sessions.revenue_by_currency (a session that paid in
-- two currencies adds to both); NULL for a day without purchases.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per session_date (UTC day of the session's first event).
WITH in_range AS (
  SELECT session_date, resolved_user_key, product_views, add_to_carts, checkout_starts, had_purchase, event_count, revenue_by_currency
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
by_currency AS (
  SELECT s.session_date, COALESCE(r.currency, 'unknown') AS revenue_currency, ROUND(SUM(r.revenue), 2) AS revenue
  FROM in_range AS s, UNNEST(s.revenue_by_currency) AS r
  GROUP BY s.session_date, revenue_currency
),
revenues AS (
  SELECT
    session_date,
    ARRAY_AGG(revenue_currency ORDER BY revenue_currency) AS currencies,
    ARRAY_AGG(revenue ORDER BY revenue_currency) AS revenues
  FROM by_currency
  GROUP BY session_date
),
days AS (
  SELECT
    session_date,
    COUNT(*) AS sessions,
    COUNT(CASE WHEN resolved_user_key IS NULL THEN 1 END) AS anonymous_sessions,
    COUNT(CASE WHEN product_views > 0 THEN 1 END) AS product_view_sessions,
    COUNT(CASE WHEN add_to_carts > 0 THEN 1 END) AS add_to_cart_sessions,
    COUNT(CASE WHEN checkout_starts > 0 THEN 1 END) AS checkout_sessions,
    COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
    ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate,
    ROUND(AVG(event_count), 2) AS avg_events_per_session
  FROM in_range
  GROUP BY session_date
)
SELECT
  d.session_date AS day,
  d.sessions,
  d.anonymous_sessions,
  d.product_view_sessions,
  d.add_to_cart_sessions,
  d.checkout_sessions,
  d.converting_sessions,
  d.conversion_rate,
  d.avg_events_per_session,
  r.currencies,
  r.revenues
FROM days AS d
LEFT JOIN revenues AS r ON r.session_date = d.session_date
ORDER BY day
