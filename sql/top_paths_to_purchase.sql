-- Top paths to purchase: the most frequent openings of purchasing sessions,
-- as their first five pages (e.g. / > /c/shoes > /p/sku-1 > /cart > /checkout).
--
-- A session's path is fact_sessions.page_path_sequence (page paths in order,
-- consecutive repeats collapsed); its prefix is the first five, joined with
-- ' > ' (fewer for shorter sessions). The prefix is cut from the joined text
-- with REGEXP_EXTRACT because BigQuery and DuckDB slice arrays differently;
-- a page path holding '>' itself would be cut short (URL paths escape it).
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per path prefix; the 100 most frequent.
WITH purchasing AS (
  SELECT
    RTRIM(REGEXP_EXTRACT(ARRAY_TO_STRING(page_path_sequence, ' > '), '^[^>]*(?:>[^>]*){0,4}')) AS path_prefix,
    ARRAY_LENGTH(page_path_sequence) AS path_length,
    revenue
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
    AND had_purchase
)
SELECT
  path_prefix,
  COUNT(*) AS purchasing_sessions,
  ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 4) AS share_of_purchasing_sessions,
  ROUND(AVG(path_length), 2) AS avg_path_length,
  ROUND(SUM(revenue), 2) AS revenue
FROM purchasing
GROUP BY path_prefix
ORDER BY purchasing_sessions DESC, path_prefix
LIMIT 100
