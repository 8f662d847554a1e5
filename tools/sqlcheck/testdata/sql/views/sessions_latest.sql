-- Test view: a Terraform template, as sql/views/ holds them. It reads the
-- table by its qualified template name and adds a column of its own.
-- Parameters: none (a view).
SELECT
  * EXCEPT (copy_rank)
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY session_date, session_id ORDER BY session_start DESC) AS copy_rank
  FROM `${project}.${dataset}.sessions`
)
WHERE copy_rank = 1
