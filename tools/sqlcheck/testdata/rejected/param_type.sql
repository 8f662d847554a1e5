-- Planted error: a parameter declared with the wrong type.
-- Parameters: @day (INT64).
SELECT session_id FROM sessions WHERE session_date = @day
