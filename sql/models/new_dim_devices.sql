-- The new content of dim_devices. An untouched device keeps its row. A
-- touched device's row is the aggregate of its state rows: for an appended
-- device, its new state combined with its old row (first seen and the
-- login count carried over; last seen, device type, platform and last login
-- from the new dates when they have them); for a recomputed device, all its
-- state rows. A recomputed device left without state rows is dropped.
-- Parameters: @rebuild (BOOL).
-- Grain: one row per device_id.
-- Reads: dim_devices (once), touched_devices, new_device_days,
-- recompute_device_days, new_device_user_runs, recompute_runs.
WITH days AS (
  SELECT n.*
  FROM new_device_days AS n
  JOIN touched_devices AS t ON t.device_id = n.device_id AND NOT t.recompute
  UNION ALL
  SELECT r.*
  FROM recompute_device_days AS r
),
runs AS (
  SELECT n.device_id, n.user_key, n.event_date, n.run_start_at, n.run_start_event_id
  FROM new_device_user_runs AS n
  JOIN touched_devices AS t ON t.device_id = n.device_id AND NOT t.recompute
  UNION ALL
  SELECT r.device_id, r.user_key, r.event_date, r.run_start_at, r.run_start_event_id
  FROM recompute_runs AS r
  JOIN touched_devices AS t ON t.device_id = r.device_id AND t.recompute
),
totals AS (
  SELECT device_id, MIN(first_event_at) AS first_seen_at, MAX(last_event_at) AS last_seen_at,
    CAST(SUM(login_count) AS INT64) AS login_count
  FROM days
  GROUP BY device_id
),
last_day AS (
  SELECT device_id, device_type
  FROM (
    SELECT device_id, device_type, ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY event_date DESC) AS from_last
    FROM days
  ) AS d
  WHERE from_last = 1
),
last_platform AS (
  SELECT device_id, platform
  FROM (
    SELECT device_id, platform, ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY event_date DESC) AS from_last
    FROM days
    WHERE platform IS NOT NULL
  ) AS d
  WHERE from_last = 1
),
last_run AS (
  SELECT device_id, user_key
  FROM (
    SELECT device_id, user_key,
      ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY event_date DESC, run_start_at DESC, run_start_event_id DESC) AS from_last
    FROM runs
  ) AS r
  WHERE from_last = 1
),
touched AS (
  SELECT s.device_id, t.recompute, s.first_seen_at, s.last_seen_at,
    p.device_id IS NOT NULL AS has_platform, p.platform, d.device_type,
    r.device_id IS NOT NULL AS has_login, r.user_key, s.login_count
  FROM totals AS s
  JOIN touched_devices AS t ON t.device_id = s.device_id
  JOIN last_day AS d ON d.device_id = s.device_id
  LEFT JOIN last_platform AS p ON p.device_id = s.device_id
  LEFT JOIN last_run AS r ON r.device_id = s.device_id
),
old AS (
  SELECT * FROM dim_devices WHERE NOT @rebuild
)
-- One pass over dim_devices: o is a device's old row, n its new aggregate
-- when it is touched; n alone (no o, or recomputed) is the new row, and an
-- appended device keeps what its new dates do not replace.
SELECT COALESCE(n.device_id, o.device_id) AS device_id,
  CASE WHEN n.device_id IS NULL OR (NOT n.recompute AND o.device_id IS NOT NULL) THEN o.first_seen_at ELSE n.first_seen_at END AS first_seen_at,
  CASE WHEN n.device_id IS NULL THEN o.last_seen_at ELSE n.last_seen_at END AS last_seen_at,
  CASE WHEN n.device_id IS NULL OR (NOT n.recompute AND NOT n.has_platform) THEN o.platform ELSE n.platform END AS platform,
  CASE WHEN n.device_id IS NULL THEN o.device_type ELSE n.device_type END AS device_type,
  CASE WHEN n.device_id IS NULL OR (NOT n.recompute AND NOT n.has_login) THEN o.last_login_user_key ELSE n.user_key END AS last_login_user_key,
  CASE
    WHEN n.device_id IS NULL THEN o.login_count
    WHEN n.recompute OR o.device_id IS NULL THEN n.login_count
    ELSE o.login_count + n.login_count
  END AS login_count
FROM old AS o
FULL OUTER JOIN touched AS n ON n.device_id = o.device_id
-- A touched device without new aggregate has no state left: dropped.
WHERE n.device_id IS NOT NULL
  OR o.device_id NOT IN (SELECT device_id FROM touched_devices)
