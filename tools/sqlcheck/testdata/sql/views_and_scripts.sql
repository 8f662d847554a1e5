-- Test file of two statements: a query on a view, then a MERGE in a
-- transaction, as a model could write it.
-- Parameters: @day (DATE).
SELECT country, SUM(sessions) AS sessions
FROM sessions_by_country
WHERE session_date = @day
GROUP BY ALL;

BEGIN TRANSACTION;

MERGE sessions AS t
USING (SELECT * FROM sessions_latest WHERE session_date = @day) AS s
ON t.session_id = s.session_id AND t.session_date = @day
WHEN MATCHED THEN UPDATE SET revenue = s.revenue
WHEN NOT MATCHED BY SOURCE AND t.session_date = @day THEN DELETE;

COMMIT TRANSACTION;
-- trailing comment after the last statement
