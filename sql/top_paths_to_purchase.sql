-- Top paths to purchase: the most frequent openings of purchasing sessions,
-- as their first five pages (e.g. / > /c/shoes > /p/sku-1 > /cart > /checkout).
--
-- A session's path is fact_sessions.page_path_sequence (page paths in order,
-- consecutive repeats collapsed); its prefix is the first five, joined with
-- ' > ' (fewer for shorter sessions). The prefix is cut from the joined text
-- with REGEXP_EXTRACT because BigQuery and DuckDB slice arrays differently;
-- a page path holding '>' itself would be cut short (URL paths escape it).
--
-- Revenue is per currency, never summed across currencies: currencies
-- (sorted; 'unknown' for purchases that named none) and revenues, parallel
-- arrays, from fact_sessions.revenue_by_currency; NULL without purchases.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per path prefix; the 100 most frequent.
WITH purchasing AS (
  SELECT
    RTRIM(REGEXP_EXTRACT(ARRAY_TO_STRING(page_path_sequence, ' > '), '^[^>]*(?:>[^>]*){0,4}')) AS path_prefix,
    ARRAY_LENGTH(page_path_sequence) AS path_length,
    revenue_by_currency
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
    AND had_purchase
),
top_paths AS (
  SELECT
    path_prefix,
    COUNT(*) AS purchasing_sessions,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 4) AS share_of_purchasing_sessions,
    ROUND(AVG(path_length), 2) AS avg_path_length
  FROM purchasing
  GROUP BY path_prefix
  ORDER BY purchasing_sessions DESC, path_prefix
  LIMIT 100
),
by_currency AS (
  SELECT s.path_prefix, COALESCE(r.currency, 'unknown') AS revenue_currency, ROUND(SUM(r.revenue), 2) AS revenue
  FROM purchasing AS s, UNNEST(s.revenue_by_currency) AS r
  GROUP BY s.path_prefix, revenue_currency
),
revenues AS (
  SELECT
    path_prefix,
    ARRAY_AGG(revenue_currency ORDER BY revenue_currency) AS currencies,
    ARRAY_AGG(revenue ORDER BY revenue_currency) AS revenues
  FROM by_currency
  GROUP BY path_prefix
)
SELECT
  t.path_prefix,
  t.purchasing_sessions,
  t.share_of_purchasing_sessions,
  t.avg_path_length,
  r.currencies,
  r.revenues
FROM top_paths AS t
LEFT JOIN revenues AS r ON r.path_prefix = t.path_prefix
ORDER BY t.purchasing_sessions DESC, t.path_prefix
