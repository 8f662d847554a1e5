-- Live search performance per hour (live_search_1h, transforms/livesearch)
-- computed in batch from fact_events_current: per hourly event-time window
-- of the search and normalized query, the searches, those with a
-- results_count, the zero-result ones and their share, and the searches
-- followed on the same device by a product_view or a purchase strictly
-- after the search and at most 30 minutes after it.
--
-- The query is normalized as livesearch.Normalize does: lowercased, runs of
-- spaces made one space, trimmed of spaces. Without a regular expression
-- (DuckDB's regexp_replace replaces only the first match unless told
-- otherwise, BigQuery's every match): each REPLACE of two spaces by one
-- halves the longest run, so the ten nested ones collapse every run up to
-- 1024 spaces, search_query's maximum length.
--
-- Over the streamed rows it equals the current live row (highest
-- pane_index) of every window whose searches and follow-ups all came within
-- the allowed lateness, as sql/live/funnel_10m.sql explains. A follow-up
-- can be in the next day's partition: the visits are read one day past
-- @end_date.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): event_date range.
-- Grain: one row per (window_start, query).
WITH searches AS (
  SELECT
    CAST(event_date AS TIMESTAMP) + INTERVAL 1 HOUR * CAST(EXTRACT(HOUR FROM event_time) AS INT64) AS window_start,
    TRIM(
      REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(
        LOWER(search_query), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '),
        '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '), '  ', ' '),
      ' ') AS query,
    event_id, device_id, event_time, results_count
  FROM fact_events_current
  WHERE event_date BETWEEN @start_date AND @end_date
    AND event_type = 'search'
    AND search_query IS NOT NULL
),
visits AS (
  SELECT device_id, event_time
  FROM fact_events_current
  WHERE event_date BETWEEN @start_date AND @end_date + 1
    AND event_type IN ('product_view', 'purchase')
),
followed AS (
  SELECT DISTINCT s.event_id
  FROM searches AS s
  JOIN visits AS v
    ON v.device_id = s.device_id
    AND UNIX_MICROS(v.event_time) - UNIX_MICROS(s.event_time) BETWEEN 1 AND 1800000000
),
counts AS (
  SELECT
    s.window_start, s.query,
    COUNT(DISTINCT s.event_id) AS searches,
    COUNT(DISTINCT CASE WHEN s.results_count IS NOT NULL THEN s.event_id END) AS reported_searches,
    COUNT(DISTINCT CASE WHEN s.results_count = 0 THEN s.event_id END) AS zero_result_searches,
    COUNT(DISTINCT f.event_id) AS followed_searches
  FROM searches AS s
  LEFT JOIN followed AS f ON f.event_id = s.event_id
  WHERE s.query != ''
  GROUP BY s.window_start, s.query
)
SELECT
  window_start, query, searches, reported_searches, zero_result_searches, followed_searches,
  zero_result_searches / NULLIF(reported_searches, 0) AS zero_result_share
FROM counts
ORDER BY window_start, query
