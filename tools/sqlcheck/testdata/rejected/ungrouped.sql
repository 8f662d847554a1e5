-- Planted error: a column neither grouped nor aggregated.
SELECT session_date, device_id, COUNT(*) AS sessions FROM sessions GROUP BY session_date
