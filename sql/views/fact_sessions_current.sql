-- fact_sessions with only the current row of each session. Streaming
-- writes a new row for a session at every firing of its session window
-- (version = pane index + 1), and a late event can extend a session or
-- merge two into a new window, with a new start and so a new session_id:
-- rows are versions of one session when they are of the same device and
-- their [session_start, session_end] ranges overlap, never by id.
--
-- SQL version of the pipeline's rule (transforms/sessionize/latest.go):
-- per device_id and session_date, rows are sorted by session_start; rows
-- whose ranges overlap, directly or through other rows, form a chain (a new
-- chain starts at a row that starts after every earlier row has ended); of
-- each chain the row with the most events is kept, then the higher
-- version, the earlier start, the smaller session_id. Batch-loaded rows
-- (version 1) never overlap, so the view changes nothing for them.
--
-- Where it can differ from the Go rule (sessionize.Latest, which takes rows
-- greedily in that order and skips a row only if it overlaps one it kept):
--   * rows of one session on different session_dates are not compared: when
--     a late event before midnight extends, or merges into, a session that
--     started after midnight, the new row (dated the day before) and the
--     superseded one (dated the day after) are both kept, one on each day.
--     Comparing across dates would stop a session_date filter from reaching
--     the table, which requires one; the nightly batch run, which replaces
--     both dates with one row per session, resolves it;
--   * a chain whose best row does not overlap all the others keeps one row
--     where the Go rule may keep several. Versions of one session are nested
--     (every firing covers the earlier ones, and Prism's fragments lie
--     inside the session), so this needs rows that are not: the pieces of a
--     session that a late event made a runaway (over --max_session_length)
--     beside its older uncut row, where the Go rule has its own documented
--     limit.
--
-- Query it with a filter on session_date, as fact_sessions itself: the
-- filter reaches the table because every window here is partitioned by
-- session_date.
--
-- Rendered by Terraform (templatefile) with project and dataset.
-- Parameters: none (a view); filter session_date when querying it.
-- Grain: one row per session (per device_id, session_date and chain of
-- overlapping versions).
WITH versions AS (
  SELECT
    *,
    MAX(session_end) OVER (
      PARTITION BY session_date, device_id
      ORDER BY session_start, session_end
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS earlier_end
  FROM `${project}.${dataset}.fact_sessions`
),
chained AS (
  SELECT
    *,
    SUM(CASE WHEN earlier_end IS NULL OR session_start > earlier_end THEN 1 ELSE 0 END) OVER (
      PARTITION BY session_date, device_id
      ORDER BY session_start, session_end
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS chain
  FROM versions
),
ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY session_date, device_id, chain
      ORDER BY event_count DESC, version DESC, session_start, session_id
    ) AS version_rank
  FROM chained
)
SELECT
  session_id, session_date, device_id, user_key, resolved_user_key, session_start, session_end,
  duration_seconds, event_count, page_views, product_views, searches, add_to_carts, checkout_starts,
  purchases, had_purchase, revenue, landing_page_path, landing_page_key, exit_page_path, exit_page_key,
  page_path_sequence, referrer, referrer_host,
  traffic_source, traffic_medium, traffic_campaign, default_channel_group,
  geo_country, geo_region, geo_city, geo_continent,
  utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid, msclkid, fbclid,
  device_type, browser, os, platform, is_bounce, is_engaged, is_runaway, version,
  revenue_by_currency, currency
FROM ranked
WHERE version_rank = 1
