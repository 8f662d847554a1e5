-- The dates whose facts were replaced and whose dimension state the step
-- has not rebuilt yet: a run marks its dates pending with its facts, and
-- the step that processes them marks them built (new_state_dates).
-- Parameters: none.
-- Grain: one row per pending event_date.
-- Reads: state_dates.
SELECT DISTINCT event_date
FROM state_dates
WHERE status = 'pending'
