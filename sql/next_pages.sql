-- Next-page paths from a page: where visitors went after @page_path, as
-- the next page and the one after it.
--
-- A session's pages are the page paths of its events in the sessions'
-- order (time; at one instant a self-referral, an internal referrer and no
-- campaign, after the other events; then event_id), consecutive repeats
-- collapsed, as in
-- fact_sessions.page_path_sequence but without its cap of 50 pages (events
-- without a page are skipped). Each time @page_path appears in that
-- sequence is one transition: next_page_path is the page after it, or
-- '(exit)' if the session ended there; then_page_path is the page after
-- that, '(exit)' if the session ended on the next page, '(none)' after an
-- exit. sessions counts the sessions with such a transition (a session
-- passing the page twice counts in each row it reaches). Events are read
-- up to @end_date + 1 so that a session crossing midnight at the end of the
-- range is complete.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range;
-- @page_path (STRING): the page the paths start from, e.g. '/cart'.
-- Grain: one row per (next_page_path, then_page_path).
WITH in_range AS (
  SELECT session_id
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
page_events AS (
  SELECT
    e.session_id,
    e.event_time,
    e.event_id,
    e.page_path,
    COALESCE(e.referrer_host <> '' AND e.traffic_source = '(direct)', FALSE) AS self_referral
  FROM fact_events AS e
  JOIN in_range AS r ON r.session_id = e.session_id
  WHERE e.event_date BETWEEN @start_date AND @end_date + 1
    AND e.page_path IS NOT NULL
),
page_changes AS (
  SELECT
    *,
    LAG(page_path) OVER (PARTITION BY session_id ORDER BY event_time, self_referral, event_id) AS previous_path
  FROM page_events
),
page_sequence AS (
  SELECT
    session_id,
    page_path,
    LEAD(page_path, 1) OVER (PARTITION BY session_id ORDER BY event_time, self_referral, event_id) AS next_path,
    LEAD(page_path, 2) OVER (PARTITION BY session_id ORDER BY event_time, self_referral, event_id) AS then_path
  FROM page_changes
  WHERE previous_path IS NULL OR previous_path <> page_path
),
transitions AS (
  SELECT
    session_id,
    COALESCE(next_path, '(exit)') AS next_page,
    CASE WHEN next_path IS NULL THEN '(none)' ELSE COALESCE(then_path, '(exit)') END AS then_page
  FROM page_sequence
  WHERE page_path = @page_path
)
SELECT
  next_page AS next_page_path,
  then_page AS then_page_path,
  COUNT(*) AS transitions,
  COUNT(DISTINCT session_id) AS sessions,
  ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 4) AS share_of_transitions
FROM transitions
GROUP BY next_page, then_page
ORDER BY transitions DESC, next_page_path, then_page_path
