-- The new content of dim_users. An untouched user keeps its row. An
-- appended user's first and last seen combine its old row with its runs on
-- appended devices, and its device count grows by the appended devices it
-- had no period on before. A recomputed user's row is the aggregate of all
-- its runs (on every device); one left without runs is dropped. The
-- first-touch and purchase columns are user_totals' for the users it has,
-- else the old row's.
-- Parameters: @rebuild (BOOL).
-- Grain: one row per user_key.
-- Reads: dim_users (once), touched_users, touched_devices,
-- new_device_user_runs, recompute_runs, old_bridge, user_totals.
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
  LEFT JOIN old_bridge AS b ON b.device_id = r.device_id AND b.user_key = r.user_key AND NOT r.recompute
  WHERE b.device_id IS NULL
  GROUP BY r.user_key
),
touched AS (
  SELECT s.user_key, u.recompute, s.first_seen_at, s.last_seen_at, COALESCE(n.devices, 0) AS devices
  FROM totals AS s
  JOIN touched_users AS u ON u.user_key = s.user_key
  LEFT JOIN new_devices AS n ON n.user_key = s.user_key
),
old AS (
  SELECT * FROM dim_users WHERE NOT @rebuild
),
-- One pass over dim_users: o is a user's old row, n its new aggregate when
-- it is touched.
seen AS (
SELECT COALESCE(n.user_key, o.user_key) AS user_key,
  CASE
    WHEN n.user_key IS NULL THEN o.first_seen_at
    WHEN n.recompute OR o.user_key IS NULL OR n.first_seen_at < o.first_seen_at THEN n.first_seen_at
    ELSE o.first_seen_at
  END AS first_seen_at,
  CASE
    WHEN n.user_key IS NULL THEN o.last_seen_at
    WHEN n.recompute OR o.user_key IS NULL OR n.last_seen_at > o.last_seen_at THEN n.last_seen_at
    ELSE o.last_seen_at
  END AS last_seen_at,
  CASE
    WHEN n.user_key IS NULL THEN o.device_count
    WHEN n.recompute OR o.user_key IS NULL THEN n.devices
    ELSE o.device_count + n.devices
  END AS device_count,
  o.first_session_id, o.first_session_at, o.first_traffic_source, o.first_traffic_medium,
  o.first_default_channel_group, o.first_purchase_at, o.last_purchase_at, o.order_count,
  o.revenue_by_currency
FROM old AS o
FULL OUTER JOIN touched AS n ON n.user_key = o.user_key
-- A touched user without new aggregate has no runs left: dropped.
WHERE n.user_key IS NOT NULL
  OR o.user_key NOT IN (SELECT user_key FROM touched_users)
)
SELECT s.user_key, s.first_seen_at, s.last_seen_at, s.device_count,
  CASE WHEN t.user_key IS NULL THEN s.first_session_id ELSE t.first_session_id END AS first_session_id,
  CASE WHEN t.user_key IS NULL THEN s.first_session_at ELSE t.first_session_at END AS first_session_at,
  CASE WHEN t.user_key IS NULL THEN s.first_traffic_source ELSE t.first_traffic_source END AS first_traffic_source,
  CASE WHEN t.user_key IS NULL THEN s.first_traffic_medium ELSE t.first_traffic_medium END AS first_traffic_medium,
  CASE WHEN t.user_key IS NULL THEN s.first_default_channel_group
    ELSE t.first_default_channel_group END AS first_default_channel_group,
  CASE WHEN t.user_key IS NULL THEN s.first_purchase_at ELSE t.first_purchase_at END AS first_purchase_at,
  CASE WHEN t.user_key IS NULL THEN s.last_purchase_at ELSE t.last_purchase_at END AS last_purchase_at,
  CASE WHEN t.user_key IS NULL THEN s.order_count ELSE t.order_count END AS order_count,
  CASE WHEN t.user_key IS NULL THEN s.revenue_by_currency ELSE t.revenue_by_currency END AS revenue_by_currency
FROM seen AS s
LEFT JOIN user_totals AS t ON t.user_key = s.user_key
