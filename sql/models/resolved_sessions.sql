-- The fact_sessions rows whose resolved_user_key changes, with the new
-- value. A session resolves to (1) its own user_key when someone was logged
-- in; else (2) the user of its device's bridge period that contains its
-- start (valid_from <= session_start < valid_to, or an open period); else
-- (3), when it starts before the device's first period and that period
-- starts at most @stitch_window_micros after it, the first period's user;
-- else (4) NULL. The first period is the earliest; where several share the
-- first instant, first_periods says which came first.
-- Parameters: @stitch_window_micros (INT64): --stitch_window.
-- Grain: one row per changed session_date, session_id and version.
-- Reads: sessions_to_resolve, new_dim_device_users, first_periods.
WITH anonymous AS (
  SELECT session_date, session_id, version, device_id, session_start
  FROM sessions_to_resolve
  WHERE user_key IS NULL
),
bridge AS (
  SELECT device_id, user_key, valid_from, valid_to
  FROM new_dim_device_users
  WHERE device_id IN (SELECT device_id FROM anonymous)
),
containing AS (
  SELECT s.session_date, s.session_id, s.version, b.user_key
  FROM anonymous AS s
  JOIN bridge AS b ON b.device_id = s.device_id
    AND b.valid_from <= s.session_start
    AND (b.valid_to IS NULL OR s.session_start < b.valid_to)
),
firsts AS (
  SELECT b.device_id, b.valid_from, COALESCE(p.user_key, b.user_key) AS user_key
  FROM (
    SELECT device_id, user_key, valid_from,
      ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY valid_from, valid_to NULLS LAST, user_key) AS i
    FROM bridge
  ) AS b
  LEFT JOIN first_periods AS p ON p.device_id = b.device_id
  WHERE b.i = 1
),
stitched AS (
  SELECT s.session_date, s.session_id, s.version, f.user_key
  FROM anonymous AS s
  JOIN firsts AS f ON f.device_id = s.device_id
  WHERE s.session_start < f.valid_from
    AND UNIX_MICROS(f.valid_from) - UNIX_MICROS(s.session_start) <= @stitch_window_micros
),
resolved AS (
  SELECT s.session_date, s.session_id, s.version, s.device_id, s.resolved_user_key AS old_resolved_user_key,
    COALESCE(s.user_key, c.user_key, t.user_key) AS resolved_user_key
  FROM sessions_to_resolve AS s
  LEFT JOIN containing AS c ON c.session_date = s.session_date AND c.session_id = s.session_id AND c.version = s.version
  LEFT JOIN stitched AS t ON t.session_date = s.session_date AND t.session_id = s.session_id AND t.version = s.version
)
SELECT DISTINCT session_date, session_id, version, device_id, resolved_user_key
FROM resolved
WHERE resolved_user_key IS DISTINCT FROM old_resolved_user_key
