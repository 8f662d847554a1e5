-- Planted error: DuckDB's datediff (BigQuery: DATE_DIFF(a, b, DAY)).
SELECT datediff('day', MIN(session_date), MAX(session_date)) AS days FROM sessions
