-- Search terms: what shoppers search for, how often, in how many sessions,
-- and the share of those sessions that purchased after searching.
--
-- A term is LOWER(TRIM(search_query)) of search events. A session is
-- followed by a purchase when it has a purchase event after its first
-- search for the term (matched by session_id; a purchase up to a day after
-- @end_date still counts, as sessions last at most 24 h).
--
-- Parameters: @start_date, @end_date (DATE, inclusive): event_date range of
-- the search events.
-- Grain: one row per search term.
WITH search_events AS (
  SELECT
    LOWER(TRIM(search_query)) AS search_term,
    session_id,
    event_time
  FROM fact_events
  WHERE event_date BETWEEN @start_date AND @end_date
    AND event_type = 'search'
    AND search_query IS NOT NULL
    AND TRIM(search_query) <> ''
),
term_sessions AS (
  SELECT search_term, session_id, COUNT(*) AS term_searches, MIN(event_time) AS first_searched_at
  FROM search_events
  GROUP BY search_term, session_id
),
purchases AS (
  SELECT session_id, MAX(event_time) AS last_purchased_at
  FROM fact_events
  WHERE event_date BETWEEN @start_date AND @end_date + 1
    AND event_type = 'purchase'
    AND session_id IS NOT NULL
  GROUP BY session_id
)
SELECT
  t.search_term,
  SUM(t.term_searches) AS searches,
  COUNT(t.session_id) AS sessions,
  COUNT(CASE WHEN p.last_purchased_at > t.first_searched_at THEN 1 END) AS sessions_followed_by_purchase,
  ROUND(COUNT(CASE WHEN p.last_purchased_at > t.first_searched_at THEN 1 END) / NULLIF(COUNT(t.session_id), 0), 4) AS purchase_share
FROM term_sessions AS t
LEFT JOIN purchases AS p
  ON p.session_id = t.session_id
GROUP BY t.search_term
ORDER BY searches DESC, t.search_term
