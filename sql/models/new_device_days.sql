-- The new state_device_days partitions of the step's dates: per device and
-- date, its first and last event, the device type at the last event, the
-- platform of the last event that has one, and its login events, from that
-- date's fact_events partition only. Events are ordered by (event_time,
-- event_id), the sessions' order.
-- Parameters: @first_date, @last_date (DATE): the first and last of the
-- step's dates, which step_dates lists (they bound the partitions read).
-- Grain: one row per device_id and event_date.
-- Reads: fact_events of the step's dates.
WITH events AS (
  SELECT event_date, device_id, event_id, event_type, event_time, platform, device_type
  FROM fact_events
  WHERE event_date BETWEEN @first_date AND @last_date
    AND event_date IN (SELECT event_date FROM step_dates)
),
last_event AS (
  SELECT event_date, device_id, device_type
  FROM (
    SELECT event_date, device_id, device_type,
      ROW_NUMBER() OVER (PARTITION BY event_date, device_id ORDER BY event_time DESC, event_id DESC) AS from_last
    FROM events
  ) AS e
  WHERE from_last = 1
),
last_platform AS (
  SELECT event_date, device_id, platform
  FROM (
    SELECT event_date, device_id, platform,
      ROW_NUMBER() OVER (PARTITION BY event_date, device_id ORDER BY event_time DESC, event_id DESC) AS from_last
    FROM events
    WHERE platform IS NOT NULL
  ) AS e
  WHERE from_last = 1
),
days AS (
  SELECT event_date, device_id,
    MIN(event_time) AS first_event_at,
    MAX(event_time) AS last_event_at,
    COUNT(CASE WHEN event_type = 'login' THEN 1 END) AS login_count
  FROM events
  GROUP BY event_date, device_id
)
SELECT d.event_date, d.device_id, d.first_event_at, d.last_event_at, l.device_type, p.platform, d.login_count
FROM days AS d
JOIN last_event AS l ON l.event_date = d.event_date AND l.device_id = d.device_id
LEFT JOIN last_platform AS p ON p.event_date = d.event_date AND p.device_id = d.device_id
