-- Planted error in the second statement of a file: every statement is analyzed.
SELECT session_id FROM sessions;
SELECT session_id FROM sessions WHERE revenue > 'high'
