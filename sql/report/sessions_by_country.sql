-- Sessions by country: sessions, converting sessions, conversion rate and
-- revenue per geo_country (ISO 3166-1 alpha-2, of the session's first
-- event's IP address) with its continent, over the range. Sessions without
-- a country (no --geo_db, or an address the database does not know) are
-- one row, '(not set)' as GA4 names them.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per country (and its continent).
WITH in_range AS (
  SELECT
    COALESCE(geo_country, '(not set)') AS country,
    COALESCE(geo_continent, '(not set)') AS continent,
    had_purchase,
    revenue
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
)
SELECT
  country,
  continent,
  COUNT(*) AS sessions,
  ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 4) AS share_of_sessions,
  COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
  ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate,
  ROUND(SUM(revenue), 2) AS revenue
FROM in_range
GROUP BY country, continent
ORDER BY sessions DESC, country
