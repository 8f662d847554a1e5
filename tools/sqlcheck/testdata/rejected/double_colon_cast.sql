-- Planted error: DuckDB's :: cast (BigQuery: CAST(x AS STRING)).
SELECT session_date::STRING AS day FROM sessions
