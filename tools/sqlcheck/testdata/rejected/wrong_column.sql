-- Planted error: a misspelt column.
-- Parameters: @day (DATE).
SELECT sesion_id FROM sessions WHERE session_date = @day
