-- The fact_sessions rows whose resolved_user_key the step recomputes: every
-- session of the step's dates (the run wrote them with the session's own
-- login only), and the sessions of the devices whose bridge changed that
-- start in the span bridge_changes gives. Only the partitions from
-- @sessions_from to @sessions_to are read: the step computes them from
-- step_dates and bridge_changes.
-- Parameters: @sessions_from, @sessions_to (DATE).
-- Grain: one row per fact_sessions row.
-- Reads: fact_sessions from @sessions_from to @sessions_to, step_dates,
-- bridge_changes.
SELECT s.session_date, s.session_id, s.version, s.device_id, s.user_key, s.resolved_user_key, s.session_start
FROM fact_sessions AS s
LEFT JOIN bridge_changes AS c ON c.device_id = s.device_id
WHERE s.session_date BETWEEN @sessions_from AND @sessions_to
  AND (
    s.session_date IN (SELECT event_date FROM step_dates)
    OR (UNIX_MICROS(s.session_start) >= c.resolve_from_micros
      AND (c.resolve_to_micros IS NULL OR UNIX_MICROS(s.session_start) < c.resolve_to_micros))
  )
