-- Test model: sessions per day of the loaded input days.
-- Parameters: @first_day (DATE): the first of the days.
-- Grain: one row per day.
SELECT s.session_date AS day, COUNT(*) AS sessions
FROM sessions AS s
WHERE s.session_date >= @first_day
  AND s.session_date IN (SELECT day FROM days)
GROUP BY s.session_date
