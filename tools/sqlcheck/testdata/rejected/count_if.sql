-- Planted error: DuckDB's count_if (BigQuery: COUNTIF).
SELECT session_date, count_if(had_purchase) AS purchases FROM sessions GROUP BY session_date
