-- Test view that reads another view (sorted before it, so it is analyzed
-- in a second pass): the view's own columns are known to the check. It
-- spells the qualified name as a path of three quoted parts.
-- Parameters: none (a view).
SELECT session_date, geo.country AS country, COUNT(*) AS sessions
FROM `${project}`.`${dataset}`.sessions_latest
GROUP BY session_date, country
