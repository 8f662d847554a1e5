-- The span of session starts bridge_changes asks to resolve again, in
-- microseconds since the epoch: the earliest start, whether some span has no
-- end, and the latest end.
-- Parameters: none.
-- Grain: one row.
-- Reads: bridge_changes.
SELECT
  COUNT(*) AS devices,
  MIN(resolve_from_micros) AS from_micros,
  COUNT(CASE WHEN resolve_to_micros IS NULL THEN 1 END) AS open_ended,
  MAX(resolve_to_micros) AS to_micros
FROM bridge_changes
