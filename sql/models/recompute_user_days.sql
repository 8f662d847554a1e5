-- All state_user_days rows, of the dates other than the step's, of the
-- users that had a row on one of the step's dates before the step, but
-- their revenue (recompute_user_currencies). Run only when there is one: it
-- reads the whole state table.
-- Parameters: none.
-- Grain: that of state_user_days.
-- Reads: state_user_days (every date but the step's), old_user_days,
-- step_dates.
SELECT user_key, first_session_id, first_session_at, traffic_source, traffic_medium,
  default_channel_group, purchases, first_purchase_at, last_purchase_at
FROM state_user_days
WHERE event_date NOT IN (SELECT event_date FROM step_dates)
  AND user_key IN (SELECT user_key FROM old_user_days)
