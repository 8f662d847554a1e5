-- First-touch, last-touch and last-non-direct-click attribution: which
-- channel groups and traffic sources brought the purchasers, crediting
-- each conversion (a purchasing session) and its revenue to the source of
-- the purchaser's first session in the lookback window (first touch), to
-- that of the converting session itself (last touch), and to that of the
-- latest session in the window that came from somewhere (last non-direct
-- click, GA's default model before data-driven attribution).
--
-- A purchaser's journey is keyed by resolved_user_key, so it spans the
-- user's sessions on all devices, including anonymous sessions the identity
-- bridge resolved to the user; an anonymous purchaser (no resolved user)
-- falls back to the device. Touches are the journey's sessions that started
-- no later than the converting session and on or after its session_date
-- minus @lookback_days (ties on start broken by session_id). A session's
-- source is that of its first event. A session is direct when its
-- default_channel_group is Direct: no campaign tags and no referrer, or one
-- from the site itself (a visit resumed after the session gap, which GA4
-- also treats as direct); last non-direct click
-- credits the latest touch that is not direct (ties on start broken by the
-- greater session_id), or when every touch is direct the latest touch, the
-- converting session itself unless another started at the same instant.
-- cross_device_conversions counts conversions whose credited session was on
-- another device than the purchase (always 0 for last touch).
--
-- Revenue is per currency, never summed across currencies: currencies
-- (sorted; 'unknown' for purchases that named none), revenues and
-- shares_of_revenue (of the model's revenue in that currency, 0 when that
-- is 0), parallel arrays, from the converting sessions'
-- revenue_by_currency (a conversion paid in two currencies adds to both);
-- NULL when the credited conversions have no revenue rows.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range
-- of the converting sessions; @lookback_days (INT64): how many days before
-- a conversion's day its touches may start (reads session_date from
-- @start_date - @lookback_days).
-- Grain: one row per (model, default_channel_group, traffic_source), model being
-- first_touch, last_touch or last_non_direct_click; each model credits
-- every conversion once.
WITH sessions AS (
  SELECT
    COALESCE(resolved_user_key, CONCAT('device:', device_id)) AS journey_key,
    session_id,
    session_date,
    session_start,
    device_id,
    default_channel_group,
    traffic_source,
    had_purchase,
    revenue_by_currency
  FROM fact_sessions
  WHERE session_date BETWEEN @start_date - @lookback_days AND @end_date
),
conversions AS (
  SELECT journey_key, session_id, session_date, session_start, device_id, default_channel_group, traffic_source, revenue_by_currency
  FROM sessions
  WHERE had_purchase AND session_date BETWEEN @start_date AND @end_date
),
touches AS (
  SELECT
    c.session_id AS conversion_id,
    c.revenue_by_currency AS conversion_revenue,
    t.device_id <> c.device_id AS other_device,
    t.default_channel_group,
    t.traffic_source,
    ROW_NUMBER() OVER (PARTITION BY c.session_id ORDER BY t.session_start, t.session_id) AS from_first,
    ROW_NUMBER() OVER (
      PARTITION BY c.session_id
      ORDER BY t.default_channel_group = 'Direct', t.session_start DESC, t.session_id DESC
    ) AS from_last_non_direct
  FROM conversions AS c
  JOIN sessions AS t
    ON t.journey_key = c.journey_key
    AND t.session_start <= c.session_start
    AND t.session_date >= c.session_date - @lookback_days
),
credited AS (
  SELECT 'first_touch' AS model, conversion_id, conversion_revenue, other_device, default_channel_group, traffic_source
  FROM touches
  WHERE from_first = 1
  UNION ALL
  SELECT 'last_touch' AS model, session_id AS conversion_id, revenue_by_currency AS conversion_revenue, FALSE AS other_device, default_channel_group, traffic_source
  FROM conversions
  UNION ALL
  SELECT 'last_non_direct_click' AS model, conversion_id, conversion_revenue, other_device, default_channel_group, traffic_source
  FROM touches
  WHERE from_last_non_direct = 1
),
credits AS (
  SELECT
    model,
    default_channel_group,
    traffic_source,
    COUNT(*) AS conversions,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY model), 4) AS share_of_conversions,
    COUNT(CASE WHEN other_device THEN 1 END) AS cross_device_conversions
  FROM credited
  GROUP BY model, default_channel_group, traffic_source
),
by_currency AS (
  SELECT
    c.model, c.default_channel_group, c.traffic_source,
    COALESCE(r.currency, 'unknown') AS revenue_currency,
    SUM(r.revenue) AS revenue
  FROM credited AS c, UNNEST(c.conversion_revenue) AS r
  GROUP BY c.model, c.default_channel_group, c.traffic_source, revenue_currency
),
model_totals AS (
  SELECT
    model, default_channel_group, traffic_source, revenue_currency, revenue,
    SUM(revenue) OVER (PARTITION BY model, revenue_currency) AS model_revenue
  FROM by_currency
),
revenues AS (
  SELECT
    model, default_channel_group, traffic_source,
    ARRAY_AGG(revenue_currency ORDER BY revenue_currency) AS currencies,
    ARRAY_AGG(ROUND(revenue, 2) ORDER BY revenue_currency) AS revenues,
    -- 0, not NULL, where the model's revenue in the currency is 0: an
    -- element of a BigQuery array cannot be NULL.
    ARRAY_AGG(COALESCE(ROUND(revenue / NULLIF(model_revenue, 0), 4), 0) ORDER BY revenue_currency) AS shares_of_revenue
  FROM model_totals
  GROUP BY model, default_channel_group, traffic_source
)
SELECT
  c.model,
  c.default_channel_group,
  c.traffic_source,
  c.conversions,
  c.share_of_conversions,
  r.currencies,
  r.revenues,
  r.shares_of_revenue,
  c.cross_device_conversions
FROM credits AS c
LEFT JOIN revenues AS r
  ON r.model = c.model
  AND r.default_channel_group IS NOT DISTINCT FROM c.default_channel_group
  AND r.traffic_source IS NOT DISTINCT FROM c.traffic_source
ORDER BY c.model, c.conversions DESC, c.default_channel_group, c.traffic_source
