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
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per session_date (UTC day of the session's first event).
SELECT
  session_date AS day,
  COUNT(*) AS sessions,
  COUNT(CASE WHEN resolved_user_key IS NULL THEN 1 END) AS anonymous_sessions,
  COUNT(CASE WHEN product_views > 0 THEN 1 END) AS product_view_sessions,
  COUNT(CASE WHEN add_to_carts > 0 THEN 1 END) AS add_to_cart_sessions,
  COUNT(CASE WHEN checkout_starts > 0 THEN 1 END) AS checkout_sessions,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate,
  ROUND(AVG(event_count), 2) AS avg_events_per_session,
  ROUND(SUM(revenue), 2) AS revenue
FROM fact_sessions
WHERE session_date BETWEEN @start_date AND @end_date
GROUP BY session_date
ORDER BY day
