-- The revenue per currency of the rows of recompute_user_days, one row per
-- element of their revenue_by_currency (scalar columns: the step creates it
-- empty when it is not needed). Run only when recompute_user_days is.
-- Parameters: none.
-- Grain: one row per user_key, event_date and currency.
-- Reads: state_user_days (every date but the step's), old_user_days,
-- step_dates.
SELECT s.user_key, c.currency, c.revenue, c.purchases
FROM state_user_days AS s, UNNEST(s.revenue_by_currency) AS c
WHERE s.event_date NOT IN (SELECT event_date FROM step_dates)
  AND s.user_key IN (SELECT user_key FROM old_user_days)
