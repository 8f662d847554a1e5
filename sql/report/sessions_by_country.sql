-- Sessions by country: sessions, converting sessions, conversion rate and
-- revenue per geo_country (ISO 3166-1 alpha-2, of the session's first
-- event's IP address) with its continent, over the range. Sessions without
-- a country (no --geo_db, or an address the database does not know) are
-- one row, '(not set)' as GA4 names them.
--
-- Revenue is per currency, never summed across currencies: currencies
-- (sorted; 'unknown' for purchases that named none) and revenues, parallel
-- arrays, from fact_sessions.revenue_by_currency; NULL without purchases.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per country (and its continent).
WITH in_range AS (
  SELECT
    COALESCE(geo_country, '(not set)') AS country,
    COALESCE(geo_continent, '(not set)') AS continent,
    had_purchase,
    revenue_by_currency
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
countries AS (
  SELECT
    country,
    continent,
    COUNT(*) AS sessions,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 4) AS share_of_sessions,
    COUNT(CASE WHEN had_purchase THEN 1 END) AS converting_sessions,
    ROUND(COUNT(CASE WHEN had_purchase THEN 1 END) / NULLIF(COUNT(*), 0), 4) AS conversion_rate
  FROM in_range
  GROUP BY country, continent
),
by_currency AS (
  SELECT s.country, s.continent, COALESCE(r.currency, 'unknown') AS revenue_currency, ROUND(SUM(r.revenue), 2) AS revenue
  FROM in_range AS s, UNNEST(s.revenue_by_currency) AS r
  GROUP BY s.country, s.continent, revenue_currency
),
revenues AS (
  SELECT
    country,
    continent,
    ARRAY_AGG(revenue_currency ORDER BY revenue_currency) AS currencies,
    ARRAY_AGG(revenue ORDER BY revenue_currency) AS revenues
  FROM by_currency
  GROUP BY country, continent
)
SELECT
  c.country,
  c.continent,
  c.sessions,
  c.share_of_sessions,
  c.converting_sessions,
  c.conversion_rate,
  r.currencies,
  r.revenues
FROM countries AS c
LEFT JOIN revenues AS r ON r.country = c.country AND r.continent = c.continent
ORDER BY c.sessions DESC, c.country
