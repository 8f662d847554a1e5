-- Planted error: DuckDB's * EXCLUDE (BigQuery: * EXCEPT).
SELECT * EXCLUDE (revenue) FROM sessions
