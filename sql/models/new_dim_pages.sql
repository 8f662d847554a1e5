-- The new content of dim_pages: the pages dim_pages had, less those no date
-- has any more, plus the pages of the step's dates (with @rebuild, only the
-- latter: the step's dates are every date), each typed by the first
-- page-type rule (page_type_rules, in rule_order) whose RE2 pattern
-- matches its path (an absent path matches as ''), else 'other'. Every page
-- is typed anew, so a change of rules reaches every page.
-- Parameters: @rebuild (BOOL).
-- Grain: one row per page_key.
-- Reads: dim_pages, new_page_days, removed_pages, surviving_pages,
-- page_type_rules.
WITH pages AS (
  SELECT page_key, host, path
  FROM dim_pages
  WHERE NOT @rebuild
    AND page_key NOT IN (SELECT page_key FROM new_page_days)
    AND page_key NOT IN (
      SELECT page_key FROM removed_pages
      WHERE page_key NOT IN (SELECT page_key FROM surviving_pages))
  UNION ALL
  SELECT page_key, MIN(host) AS host, MIN(path) AS path
  FROM new_page_days
  GROUP BY page_key
),
first_match AS (
  SELECT p.page_key, MIN(r.rule_order) AS rule_order
  FROM pages AS p
  JOIN page_type_rules AS r ON REGEXP_CONTAINS(COALESCE(p.path, ''), r.pattern)
  GROUP BY p.page_key
)
SELECT p.page_key, p.host, p.path, COALESCE(r.page_type, 'other') AS page_type
FROM pages AS p
LEFT JOIN first_match AS m ON m.page_key = p.page_key
LEFT JOIN page_type_rules AS r ON r.rule_order = m.rule_order
