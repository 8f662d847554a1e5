-- The new state_user_days partitions of the step's dates: per user_key, its
-- first session of the date (fact_sessions of that session_date whose
-- user_key is the user's; session_start, then session_id) and its purchase
-- events of the date (fact_events of that event_date whose user_key is the
-- user's), revenue per currency (NULL revenue adds 0).
-- Parameters: @first_date, @last_date (DATE): the first and last of the
-- step's dates, which step_dates lists.
-- Grain: one row per user_key and event_date with a session or a purchase.
-- Reads: fact_sessions and fact_events of the step's dates.
WITH sessions AS (
  SELECT session_date AS event_date, user_key, session_id, session_start,
    traffic_source, traffic_medium, default_channel_group,
    ROW_NUMBER() OVER (PARTITION BY session_date, user_key ORDER BY session_start, session_id) AS n
  FROM fact_sessions
  WHERE session_date BETWEEN @first_date AND @last_date
    AND session_date IN (SELECT event_date FROM step_dates)
    AND user_key IS NOT NULL
),
purchases AS (
  SELECT event_date, user_key, event_time, currency, COALESCE(revenue, 0) AS revenue
  FROM fact_events
  WHERE event_date BETWEEN @first_date AND @last_date
    AND event_date IN (SELECT event_date FROM step_dates)
    AND event_type = 'purchase'
    AND user_key IS NOT NULL
),
currencies AS (
  SELECT event_date, user_key, currency, ROUND(SUM(revenue), 6) AS revenue, CAST(COUNT(*) AS INT64) AS purchases
  FROM purchases
  GROUP BY event_date, user_key, currency
),
bought AS (
  SELECT event_date, user_key, CAST(COUNT(*) AS INT64) AS purchases,
    MIN(event_time) AS first_purchase_at, MAX(event_time) AS last_purchase_at
  FROM purchases
  GROUP BY event_date, user_key
),
users AS (
  SELECT event_date, user_key FROM sessions WHERE n = 1
  UNION DISTINCT
  SELECT event_date, user_key FROM bought
)
SELECT u.event_date, u.user_key,
  s.session_id AS first_session_id, s.session_start AS first_session_at,
  s.traffic_source, s.traffic_medium, s.default_channel_group,
  COALESCE(b.purchases, 0) AS purchases, b.first_purchase_at, b.last_purchase_at,
  (SELECT ARRAY_AGG(r ORDER BY r.currency NULLS FIRST)
   FROM (
     SELECT c.currency, c.revenue, c.purchases
     FROM currencies AS c
     WHERE c.event_date = u.event_date AND c.user_key = u.user_key
   ) AS r) AS revenue_by_currency
FROM users AS u
LEFT JOIN sessions AS s ON s.event_date = u.event_date AND s.user_key = u.user_key AND s.n = 1
LEFT JOIN bought AS b ON b.event_date = u.event_date AND b.user_key = u.user_key
