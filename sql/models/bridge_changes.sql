-- The touched devices whose bridge changed, with the span of session starts
-- whose resolution may have changed: [resolve_from, resolve_to).
--
-- Both bridges are compared in one order, (valid_from, valid_to, user_key).
-- From the front: periods before the first difference are identical, so a
-- session that starts before the first change point (that period's
-- valid_from, or its valid_to when only its end moved) resolves as before.
-- Except when the first period itself starts elsewhere or is another
-- user's: then sessions up to the stitch window before it may resolve
-- differently (rule 3), and resolve_from is the change point minus the
-- window. The same holds for a recomputed device whose first instant has
-- several (zero-length) periods: their order is decided by event_id, which
-- the bridge does not keep, and a re-run may change it (an appended
-- device's new periods all come after its old first instant). From the
-- back: a session that starts at or after the valid_from of the first
-- period of the identical tail resolves as before; resolve_to is NULL (no
-- end) when the last periods differ.
-- Parameters: @stitch_window_micros (INT64): --stitch_window.
-- Grain: one row per device_id whose bridge changed.
-- Reads: old_bridge, new_bridge, touched_devices.
WITH old_periods AS (
  SELECT device_id, user_key, valid_from, valid_to,
    ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY valid_from, valid_to NULLS LAST, user_key) AS i,
    ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY valid_from DESC, valid_to DESC NULLS FIRST, user_key DESC) AS j,
    MIN(valid_from) OVER (PARTITION BY device_id) AS first_from
  FROM old_bridge
),
new_periods AS (
  SELECT device_id, user_key, valid_from, valid_to,
    ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY valid_from, valid_to NULLS LAST, user_key) AS i,
    ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY valid_from DESC, valid_to DESC NULLS FIRST, user_key DESC) AS j,
    MIN(valid_from) OVER (PARTITION BY device_id) AS first_from
  FROM new_bridge
),
front AS (
  SELECT COALESCE(o.device_id, n.device_id) AS device_id,
    COALESCE(o.i, n.i) AS i,
    CASE
      WHEN o.valid_from = n.valid_from AND o.user_key = n.user_key THEN
        CASE WHEN o.valid_to IS NULL OR n.valid_to < o.valid_to THEN n.valid_to ELSE o.valid_to END
      WHEN o.valid_from IS NULL OR n.valid_from < o.valid_from THEN n.valid_from
      ELSE o.valid_from
    END AS changed_at,
    o.valid_from IS NULL OR n.valid_from IS NULL OR o.valid_from <> n.valid_from OR o.user_key <> n.user_key AS start_changed
  FROM old_periods AS o
  FULL OUTER JOIN new_periods AS n ON n.device_id = o.device_id AND n.i = o.i
  WHERE o.device_id IS NULL OR n.device_id IS NULL
    OR o.valid_from <> n.valid_from OR o.user_key <> n.user_key OR o.valid_to IS DISTINCT FROM n.valid_to
),
first_change AS (
  SELECT device_id, i, changed_at, start_changed
  FROM (
    SELECT device_id, i, changed_at, start_changed, ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY i) AS k
    FROM front
  ) AS f
  WHERE k = 1
),
back AS (
  SELECT COALESCE(o.device_id, n.device_id) AS device_id, MIN(COALESCE(o.j, n.j)) AS j
  FROM old_periods AS o
  FULL OUTER JOIN new_periods AS n ON n.device_id = o.device_id AND n.j = o.j
  WHERE o.device_id IS NULL OR n.device_id IS NULL
    OR o.valid_from <> n.valid_from OR o.user_key <> n.user_key OR o.valid_to IS DISTINCT FROM n.valid_to
  GROUP BY 1
),
first_instant AS (
  SELECT device_id, MIN(first_from) AS first_from, MAX(tied) AS tied
  FROM (
    SELECT device_id, first_from, CASE WHEN COUNT(*) > 1 THEN 1 ELSE 0 END AS tied
    FROM old_periods WHERE valid_from = first_from GROUP BY device_id, first_from
    UNION ALL
    SELECT device_id, first_from, CASE WHEN COUNT(*) > 1 THEN 1 ELSE 0 END AS tied
    FROM new_periods WHERE valid_from = first_from GROUP BY device_id, first_from
  ) AS f
  GROUP BY device_id
)
SELECT c.device_id,
  CASE
    WHEN (c.i = 1 AND c.start_changed) OR (f.tied = 1 AND t.recompute) THEN UNIX_MICROS(CASE WHEN f.first_from < c.changed_at THEN f.first_from ELSE c.changed_at END) - @stitch_window_micros
    ELSE UNIX_MICROS(c.changed_at)
  END AS resolve_from_micros,
  UNIX_MICROS(tail.valid_from) AS resolve_to_micros
FROM first_change AS c
JOIN touched_devices AS t ON t.device_id = c.device_id
JOIN back AS b ON b.device_id = c.device_id
LEFT JOIN first_instant AS f ON f.device_id = c.device_id
LEFT JOIN new_periods AS tail ON tail.device_id = c.device_id AND tail.j = b.j - 1
