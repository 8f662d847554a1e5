-- Closed purchase funnel: sessions that took the funnel's steps in order
-- (a product view, then an add to cart, then a checkout start, then a
-- purchase), and how many dropped off at each step.
--
-- A session reaches a step at its first event of the step's type at or
-- after the time it reached the step before (the first step, session, is
-- every session); events of the steps' types out of order do not count, so
-- a purchase without a checkout start before it reaches no step past the
-- last one taken in order. daily_funnel.sql counts the open funnel (any
-- order). drop_off is the sessions of the step before that did not reach
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
  SELECT e.session_id, e.event_type, e.event_time
  FROM fact_events AS e
  JOIN in_range AS r ON r.session_id = e.session_id
  WHERE e.event_date BETWEEN @start_date AND @end_date + 1
    AND e.event_type IN ('product_view', 'add_to_cart', 'checkout_start', 'purchase')
),
viewed AS (
  SELECT session_id, MIN(event_time) AS reached_at
  FROM step_events
  WHERE event_type = 'product_view'
  GROUP BY session_id
),
carted AS (
  SELECT e.session_id, MIN(e.event_time) AS reached_at
  FROM step_events AS e
  JOIN viewed AS p ON p.session_id = e.session_id AND e.event_time >= p.reached_at
  WHERE e.event_type = 'add_to_cart'
  GROUP BY e.session_id
),
checked_out AS (
  SELECT e.session_id, MIN(e.event_time) AS reached_at
  FROM step_events AS e
  JOIN carted AS p ON p.session_id = e.session_id AND e.event_time >= p.reached_at
  WHERE e.event_type = 'checkout_start'
  GROUP BY e.session_id
),
purchased AS (
  SELECT e.session_id, MIN(e.event_time) AS reached_at
  FROM step_events AS e
  JOIN checked_out AS p ON p.session_id = e.session_id AND e.event_time >= p.reached_at
  WHERE e.event_type = 'purchase'
  GROUP BY e.session_id
),
reached AS (
  SELECT 1 AS step_number, 'session' AS step_name, COUNT(*) AS reaching FROM in_range
  UNION ALL
  SELECT 2, 'product_view', COUNT(*) FROM viewed
  UNION ALL
  SELECT 3, 'add_to_cart', COUNT(*) FROM carted
  UNION ALL
  SELECT 4, 'checkout_start', COUNT(*) FROM checked_out
  UNION ALL
  SELECT 5, 'purchase', COUNT(*) FROM purchased
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
