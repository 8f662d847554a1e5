-- Planted error: a parameter the header does not declare.
SELECT session_id FROM sessions WHERE session_date = @day
