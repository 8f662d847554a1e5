-- Pages that the step's dates had before and no longer have: dim_pages
-- keeps them only if another date still has them (surviving_pages).
-- Parameters: none.
-- Grain: one row per page_key.
-- Reads: old_page_days, new_page_days.
SELECT DISTINCT page_key
FROM old_page_days
WHERE page_key NOT IN (SELECT page_key FROM new_page_days)
