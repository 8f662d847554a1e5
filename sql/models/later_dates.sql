-- How many dates already built lie on or after the first of the step's
-- dates. None in the daily case: then no device can have been seen on or
-- after its first new date, every touched device without old state is
-- appended, and backfilled_devices need not read dim_devices.
-- Parameters: @first_date (DATE): the first of the step's dates.
-- Grain: one row.
-- Reads: state_dates, step_dates.
SELECT COUNT(*) AS later_dates
FROM state_dates
WHERE event_date >= @first_date
  AND event_date NOT IN (SELECT event_date FROM step_dates)
