-- fact_sessions_current with the session numbers analysts know from GA4
-- (ga_session_number, first_visit) and Snowplow (domain_sessionidx):
--   * session_number: the session's rank among its device's sessions, by
--     (session_start, session_id), from 1; is_new_device: it is 1. Per
--     device, as GA4 counts per client: identity stitching never changes
--     them.
--   * user_session_number: its rank among the sessions of its resolved user
--     (resolved_user_key), NULL for a session no user resolves to;
--     is_new_user: it is 1 (NULL without a user). They follow stitching:
--     when the dimension step re-resolves a session, the view shows the new
--     numbers at once, and no stored row is rewritten for them.
--
-- A view, not stored columns, because a number depends on every earlier
-- session of the device or user, on any date: stored, a backfill of an
-- earlier date or a new stitch would cascade rewrites into every later
-- partition. The cost is a scan of fact_sessions on every query (the
-- windows span all dates, so an outer session_date filter cannot reach the
-- table through them; the view's own filter below satisfies the table's
-- require_partition_filter, and a caller's filter still selects the rows
-- returned). Sessions of streaming rows are numbered as the
-- current rows stand: a late event that merges two sessions renumbers the
-- device's later sessions.
--
-- Portable SQL (BigQuery and DuckDB): window functions only.
-- Rendered by Terraform (templatefile) with project and dataset.
-- Parameters: none (a view); filter session_date when querying it.
-- Grain: one row per session (as fact_sessions_current).
SELECT
  *,
  ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY session_start, session_id) AS session_number,
  ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY session_start, session_id) = 1 AS is_new_device,
  -- COUNT of the user key counts the user's sessions so far, 0 for a
  -- session without one (an analytic function cannot sit in a CASE).
  NULLIF(COUNT(resolved_user_key) OVER (
    PARTITION BY resolved_user_key ORDER BY session_start, session_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ), 0) AS user_session_number,
  NULLIF(COUNT(resolved_user_key) OVER (
    PARTITION BY resolved_user_key ORDER BY session_start, session_id
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ), 0) = 1 AS is_new_user
FROM `${project}.${dataset}.fact_sessions_current`
-- Every date: the numbers count the sessions before the caller's range.
WHERE session_date >= DATE '1970-01-01'
