-- The removed pages that other dates still have. Run only when some page
-- was removed: it reads the whole state table.
-- Parameters: none.
-- Grain: one row per page_key.
-- Reads: state_page_days (every date but the step's), removed_pages,
-- step_dates.
SELECT DISTINCT page_key
FROM state_page_days
WHERE event_date NOT IN (SELECT event_date FROM step_dates)
  AND page_key IN (SELECT page_key FROM removed_pages)
