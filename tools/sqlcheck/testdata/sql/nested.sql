-- Test analysis: RECORD fields, REPEATED columns and REPEATED RECORDs, and
-- parameters of several types declared in the header.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range;
-- @countries (ARRAY<STRING>): countries kept; @min_events (INT64).
-- Grain: one row per (country, product_id).
SELECT
  s.geo.country,
  item.product_id,
  SUM(item.quantity) AS units,
  COUNT(DISTINCT s.session_id) AS sessions,
  MAX(ARRAY_LENGTH(s.page_path_sequence)) AS longest_path
FROM sessions AS s, UNNEST(s.items) AS item
WHERE s.session_date BETWEEN @start_date AND @end_date
  AND s.geo.country IN UNNEST(@countries)
  AND s.event_count >= @min_events
GROUP BY s.geo.country, item.product_id
