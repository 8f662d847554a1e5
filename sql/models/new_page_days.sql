-- The new state_page_days partitions of the step's dates: the pages seen on
-- each date, from that date's fact_events partition only. page_key is a
-- hash of host and path, so each key has one host and one path.
-- Parameters: @first_date, @last_date (DATE): the first and last of the
-- step's dates, which step_dates lists.
-- Grain: one row per page_key and event_date.
-- Reads: fact_events of the step's dates.
SELECT event_date, page_key, MIN(page_host) AS host, MIN(page_path) AS path
FROM fact_events
WHERE event_date BETWEEN @first_date AND @last_date
  AND event_date IN (SELECT event_date FROM step_dates)
  AND page_key IS NOT NULL
GROUP BY event_date, page_key
