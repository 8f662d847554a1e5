-- Landing-page performance: per landing page, sessions, bounce rate,
-- engaged-session rate, conversion rate and revenue.
--
-- The landing page is the path of the session's first event with a page
-- (fact_sessions.landing_page_path; '(none)' if no event had one). A bounce
-- is a one-event session (is_bounce); engaged is GA4's rule (is_engaged:
-- over 10 s, 2+ page or product views, or a purchase), so GA4's bounce rate
-- is 1 - engaged_rate.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per landing_page_path over the range.
WITH in_range AS (
  SELECT COALESCE(landing_page_path, '(none)') AS landing_page, is_bounce, is_engaged, had_purchase, revenue
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
)
SELECT
  landing_page AS landing_page_path,
  COUNT(*) AS sessions,
  COUNT(CASE WHEN is_bounce THEN 1 END) AS bounces,
  ROUND(COUNT(CASE WHEN is_bounce THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS bounce_rate,
  COUNT(CASE WHEN is_engaged THEN 1 END) AS engaged_sessions,
  ROUND(COUNT(CASE WHEN is_engaged THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS engaged_rate,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate,
  ROUND(SUM(revenue), 2) AS revenue
FROM in_range
GROUP BY landing_page
ORDER BY sessions DESC, landing_page
