-- Closed purchase funnel: sessions that took the funnel's steps in order
-- (a product view, then an add to cart, then a checkout start, then a
-- purchase), and how many dropped off at each step.
--
-- A session reaches a step at its first event of the step's type at or
-- after the time it reached the step before (the first step, session, is
-- every session); events of the steps' types out of order do not count, so
-- a purchase without a checkout start before it reaches no step past the
-- last one taken in order. daily_funnel.sql counts the open funnel (any
-- order). Each session's step events become a string of step numbers in
-- time order (steps at the same instant in funnel order), and the steps it
-- reached are the longest funnel prefix that string holds in order, found
-- with a regular expression: one pass, where a query per step would repeat
-- itself. drop_off is the sessions of the step before that did not reach
-- this one, drop_off_rate their share of it, and rate_from_start the share
-- of all sessions that reached this step. Events are read up to
-- @end_date + 1 so that a session crossing midnight at the end of the
-- range is complete.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per funnel step (session, product_view, add_to_cart,
-- checkout_start, purchase) over the range; no rows without sessions.
WITH in_range AS (
  SELECT session_id
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date AND @end_date
),
step_events AS (
  SELECT
    e.session_id,
    e.event_time,
    CASE e.event_type WHEN 'product_view' THEN '1' WHEN 'add_to_cart' THEN '2' WHEN 'checkout_start' THEN '3' ELSE '4' END AS step_code
  FROM fact_events AS e
  JOIN in_range AS r ON r.session_id = e.session_id
  WHERE e.event_date BETWEEN @start_date AND @end_date + 1
    AND e.event_type IN ('product_view', 'add_to_cart', 'checkout_start', 'purchase')
),
step_sequences AS (
  SELECT session_id, STRING_AGG(step_code, '' ORDER BY event_time, step_code) AS codes
  FROM step_events
  GROUP BY session_id
),
levels AS (
  SELECT
    CASE
      WHEN REGEXP_CONTAINS(q.codes, '1.*2.*3.*4') THEN 4
      WHEN REGEXP_CONTAINS(q.codes, '1.*2.*3') THEN 3
      WHEN REGEXP_CONTAINS(q.codes, '1.*2') THEN 2
      WHEN REGEXP_CONTAINS(q.codes, '1') THEN 1
      ELSE 0
    END AS level_reached
  FROM in_range AS r
  LEFT JOIN step_sequences AS q ON q.session_id = r.session_id
),
reached AS (
  SELECT 1 AS step_number, 'session' AS step_name, COUNT(*) AS reaching FROM levels
  UNION ALL
  SELECT 2, 'product_view', COUNT(CASE WHEN level_reached >= 1 THEN 1 END) FROM levels
  UNION ALL
  SELECT 3, 'add_to_cart', COUNT(CASE WHEN level_reached >= 2 THEN 1 END) FROM levels
  UNION ALL
  SELECT 4, 'checkout_start', COUNT(CASE WHEN level_reached >= 3 THEN 1 END) FROM levels
  UNION ALL
  SELECT 5, 'purchase', COUNT(CASE WHEN level_reached >= 4 THEN 1 END) FROM levels
),
compared AS (
  SELECT
    step_number,
    step_name,
    reaching,
    LAG(reaching) OVER (ORDER BY step_number) AS previous_reaching,
    MAX(reaching) OVER () AS all_sessions
  FROM reached
)
SELECT
  step_number AS step,
  step_name AS step_type,
  reaching AS sessions,
  COALESCE(previous_reaching - reaching, 0) AS drop_off,
  ROUND(COALESCE((previous_reaching - reaching) / NULLIF(previous_reaching, 0), 0), 4) AS drop_off_rate,
  ROUND(reaching / NULLIF(all_sessions, 0), 4) AS rate_from_start
FROM compared
WHERE all_sessions > 0
ORDER BY step
