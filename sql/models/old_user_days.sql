-- The state_user_days partitions of the step's dates as they were before
-- the step: a user with a row there is recomputed from all its state rows.
-- Parameters: @first_date, @last_date (DATE): the first and last of the
-- step's dates, which step_dates lists.
-- Grain: that of state_user_days.
-- Reads: state_user_days of the step's dates.
SELECT *
FROM state_user_days
WHERE event_date BETWEEN @first_date AND @last_date
  AND event_date IN (SELECT event_date FROM step_dates)
