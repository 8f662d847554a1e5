-- The first-touch and purchase columns of dim_users for the users whose
-- state_user_days rows change. A user with a row on one of the step's dates
-- before the step is recomputed from all its state rows (those of the other
-- dates and the new ones). Any other user with a new row combines it with
-- its old dim_users row (with @rebuild there is none: the step's dates are
-- every date). A user new to dim_users also takes its state row of the
-- day before a step date, when that day is not one: a session that starts
-- before midnight takes its user_key from an event after it, so a user's
-- first session can be dated the day before its first event, and the step
-- of that day wrote the row while dim_users had none for the user to take
-- it. First touch is the earliest first session (first_session_at,
-- then first_session_id); purchases add up, per currency. Revenue sums are
-- rounded to 6 decimals: a floating-point sum depends on the order the
-- engine adds in, which a parallel aggregate does not fix, and the last
-- digit moved from run to run (186.78 / 186.78000000000003).
-- Parameters: @rebuild (BOOL), @eve_first_date, @eve_last_date (DATE): the
-- days before the first and last of the step's dates, which step_dates
-- lists (they bound the partitions eve scans: a daily step's one, every
-- partition in between for scattered dates).
-- Grain: one row per user_key in new_user_days, old_user_days or eve.
-- Reads: new_user_days, old_user_days, recompute_user_days,
-- recompute_user_currencies, dim_users, touched_users, and state_user_days
-- of the days before the step's dates.
WITH old AS (
  SELECT user_key, first_session_id, first_session_at,
    first_traffic_source AS traffic_source, first_traffic_medium AS traffic_medium,
    first_default_channel_group AS default_channel_group,
    COALESCE(order_count, 0) AS purchases, first_purchase_at, last_purchase_at, revenue_by_currency
  FROM dim_users
  WHERE NOT @rebuild
    AND user_key IN (SELECT user_key FROM new_user_days)
    AND user_key NOT IN (SELECT user_key FROM old_user_days)
),
eve AS (
  SELECT *
  FROM state_user_days
  WHERE NOT @rebuild
    AND event_date BETWEEN @eve_first_date AND @eve_last_date
    AND UNIX_MICROS(CAST(event_date AS TIMESTAMP)) + 86400000000
      IN (SELECT UNIX_MICROS(CAST(event_date AS TIMESTAMP)) FROM step_dates)
    AND event_date NOT IN (SELECT event_date FROM step_dates)
    AND user_key IN (SELECT user_key FROM touched_users)
    AND user_key NOT IN (SELECT user_key FROM dim_users)
),
parts AS (
  SELECT user_key, first_session_id, first_session_at, traffic_source, traffic_medium,
    default_channel_group, purchases, first_purchase_at, last_purchase_at
  FROM new_user_days
  UNION ALL
  SELECT * FROM recompute_user_days
  UNION ALL
  SELECT user_key, first_session_id, first_session_at, traffic_source, traffic_medium,
    default_channel_group, purchases, first_purchase_at, last_purchase_at
  FROM old
  UNION ALL
  SELECT user_key, first_session_id, first_session_at, traffic_source, traffic_medium,
    default_channel_group, purchases, first_purchase_at, last_purchase_at
  FROM eve
),
part_currencies AS (
  SELECT n.user_key, c.currency, c.revenue, c.purchases
  FROM new_user_days AS n, UNNEST(n.revenue_by_currency) AS c
  UNION ALL
  SELECT * FROM recompute_user_currencies
  UNION ALL
  SELECT o.user_key, c.currency, c.revenue, c.purchases
  FROM old AS o, UNNEST(o.revenue_by_currency) AS c
  UNION ALL
  SELECT e.user_key, c.currency, c.revenue, c.purchases
  FROM eve AS e, UNNEST(e.revenue_by_currency) AS c
),
touched AS (
  SELECT user_key FROM new_user_days
  UNION DISTINCT
  SELECT user_key FROM old_user_days
  UNION DISTINCT
  SELECT user_key FROM eve
),
firsts AS (
  SELECT user_key, first_session_id, first_session_at, traffic_source, traffic_medium, default_channel_group,
    ROW_NUMBER() OVER (
      PARTITION BY user_key ORDER BY first_session_at NULLS LAST, first_session_id NULLS LAST) AS n
  FROM parts
  WHERE first_session_at IS NOT NULL
),
bought AS (
  SELECT user_key, CAST(SUM(purchases) AS INT64) AS purchases,
    MIN(first_purchase_at) AS first_purchase_at, MAX(last_purchase_at) AS last_purchase_at
  FROM parts
  GROUP BY user_key
),
currencies AS (
  SELECT user_key, currency, ROUND(SUM(revenue), 6) AS revenue, CAST(SUM(purchases) AS INT64) AS purchases
  FROM part_currencies
  GROUP BY user_key, currency
)
SELECT t.user_key,
  f.first_session_id, f.first_session_at,
  f.traffic_source AS first_traffic_source, f.traffic_medium AS first_traffic_medium,
  f.default_channel_group AS first_default_channel_group,
  b.first_purchase_at, b.last_purchase_at, COALESCE(b.purchases, 0) AS order_count,
  (SELECT ARRAY_AGG(r ORDER BY r.currency NULLS FIRST)
   FROM (
     SELECT c.currency, c.revenue, c.purchases
     FROM currencies AS c
     WHERE c.user_key = t.user_key
   ) AS r) AS revenue_by_currency
FROM touched AS t
LEFT JOIN firsts AS f ON f.user_key = t.user_key AND f.n = 1
LEFT JOIN bought AS b ON b.user_key = t.user_key
