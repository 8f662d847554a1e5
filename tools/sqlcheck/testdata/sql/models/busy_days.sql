-- Test model: reads the model before it, as a step's temporary table.
-- Parameters: @min_sessions (INT64).
-- Grain: one row per day.
SELECT day
FROM daily_sessions
WHERE sessions >= @min_sessions
