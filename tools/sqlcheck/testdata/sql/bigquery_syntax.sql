-- Test file: BigQuery syntax the sql/ files avoid for DuckDB's sake, which
-- the check must still accept, one statement each.
-- Parameters: @day (DATE).
SELECT session_id, device_id
FROM sessions
QUALIFY ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY session_start DESC) = 1;

SELECT
  COUNTIF(had_purchase) AS purchases,
  SAFE_DIVIDE(SUM(revenue), COUNT(*)) AS revenue_per_session,
  DATE_SUB(@day, INTERVAL 1 DAY) AS previous_day,
  ANY_VALUE(page_path_sequence[SAFE_OFFSET(0)]) AS a_landing_page
FROM sessions
WHERE session_date = @day;

SELECT FIRST_VALUE(geo.city IGNORE NULLS) OVER (PARTITION BY device_id ORDER BY session_start) AS first_city
FROM sessions;

FROM sessions
|> WHERE session_date = @day
|> AGGREGATE COUNT(*) AS sessions GROUP BY geo;
