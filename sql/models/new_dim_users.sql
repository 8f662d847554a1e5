-- The new content of dim_users. An untouched user keeps its row. An
-- appended user's first and last seen combine its old row with its runs on
-- appended devices, and its device count grows by the appended devices it
-- had no period on before. A recomputed user's row is the aggregate of all
-- its runs (on every device); one left without runs is dropped.
-- Parameters: @rebuild (BOOL).
-- Grain: one row per user_key.
-- Reads: dim_users, touched_users, touched_devices, new_device_user_runs,
-- recompute_runs, dim_device_users.
WITH runs AS (
  SELECT n.user_key, n.device_id, n.run_start_at, n.run_last_at, FALSE AS recompute
  FROM new_device_user_runs AS n
  JOIN touched_devices AS t ON t.device_id = n.device_id AND NOT t.recompute
  JOIN touched_users AS u ON u.user_key = n.user_key AND NOT u.recompute
  UNION ALL
  SELECT r.user_key, r.device_id, r.run_start_at, r.run_last_at, TRUE AS recompute
  FROM recompute_runs AS r
  JOIN touched_users AS u ON u.user_key = r.user_key AND u.recompute
),
totals AS (
  SELECT user_key, MIN(run_start_at) AS first_seen_at, MAX(run_last_at) AS last_seen_at
  FROM runs
  GROUP BY user_key
),
new_devices AS (
  SELECT r.user_key, COUNT(DISTINCT r.device_id) AS devices
  FROM runs AS r
  LEFT JOIN dim_device_users AS b ON b.device_id = r.device_id AND b.user_key = r.user_key AND NOT r.recompute
  WHERE b.device_id IS NULL
  GROUP BY r.user_key
)
SELECT user_key, first_seen_at, last_seen_at, device_count
FROM dim_users
WHERE NOT @rebuild
  AND user_key NOT IN (SELECT user_key FROM touched_users)
UNION ALL
SELECT s.user_key,
  CASE WHEN u.recompute OR o.user_key IS NULL OR s.first_seen_at < o.first_seen_at THEN s.first_seen_at ELSE o.first_seen_at END AS first_seen_at,
  CASE WHEN u.recompute OR o.user_key IS NULL OR s.last_seen_at > o.last_seen_at THEN s.last_seen_at ELSE o.last_seen_at END AS last_seen_at,
  COALESCE(n.devices, 0) + CASE WHEN u.recompute OR o.user_key IS NULL THEN 0 ELSE o.device_count END AS device_count
FROM totals AS s
JOIN touched_users AS u ON u.user_key = s.user_key
LEFT JOIN new_devices AS n ON n.user_key = s.user_key
LEFT JOIN dim_users AS o ON o.user_key = s.user_key
