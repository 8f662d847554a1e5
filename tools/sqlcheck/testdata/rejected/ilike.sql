-- Planted error: DuckDB's ILIKE (BigQuery: LOWER(x) LIKE ...).
SELECT session_id FROM sessions WHERE device_id ILIKE 'ios%'
