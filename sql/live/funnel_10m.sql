-- The live 10-minute funnel (live_funnel_10m, transforms/livefunnel) computed
-- in batch from fact_events_current: per 10-minute event-time window,
-- default_channel_group and device_type, the distinct devices with a product view,
-- an add to cart, a checkout start and a purchase (each step on its own),
-- the step rates and revenue per currency ('unknown' without one).
--
-- Run over the streamed rows (the warehouse the streaming run wrote), it
-- equals live_funnel_10m_current for every window whose events all came
-- before the watermark passed the window's end plus the allowed lateness:
-- later events are dropped from the live window but are in fact_events.
-- Over the batch run's rows it can differ too where the batch re-decided bots
-- (the rate rule marks a whole device-day in batch, from the burst on in
-- streaming).
--
-- Parameters: @start_date, @end_date (DATE, inclusive): event_date range.
-- Grain: one row per (window_start, default_channel_group, device_type, currency);
-- the revenue of a window with several currencies is on several rows with
-- the same counts.
WITH windowed AS (
  SELECT
    CAST(event_date AS TIMESTAMP) + INTERVAL 10 MINUTE
      * CAST(EXTRACT(HOUR FROM event_time) * 6 + FLOOR(EXTRACT(MINUTE FROM event_time) / 10) AS INT64) AS window_start,
    default_channel_group, device_type, device_id, event_type, revenue,
    COALESCE(currency, 'unknown') AS currency
  FROM fact_events_current
  WHERE event_date BETWEEN @start_date AND @end_date
    AND event_type IN ('product_view', 'add_to_cart', 'checkout_start', 'purchase')
),
counts AS (
  SELECT
    window_start, default_channel_group, device_type,
    COUNT(DISTINCT CASE WHEN event_type = 'product_view' THEN device_id END) AS product_viewers,
    COUNT(DISTINCT CASE WHEN event_type = 'add_to_cart' THEN device_id END) AS cart_adders,
    COUNT(DISTINCT CASE WHEN event_type = 'checkout_start' THEN device_id END) AS checkout_starters,
    COUNT(DISTINCT CASE WHEN event_type = 'purchase' THEN device_id END) AS purchasers
  FROM windowed
  GROUP BY window_start, default_channel_group, device_type
),
revenue AS (
  SELECT window_start, default_channel_group, device_type, currency, SUM(revenue) AS revenue
  FROM windowed
  WHERE event_type = 'purchase' AND revenue IS NOT NULL
  GROUP BY window_start, default_channel_group, device_type, currency
)
SELECT
  c.window_start, c.default_channel_group, c.device_type,
  c.product_viewers, c.cart_adders, c.checkout_starters, c.purchasers,
  c.cart_adders / NULLIF(c.product_viewers, 0) AS view_to_cart_rate,
  c.checkout_starters / NULLIF(c.cart_adders, 0) AS cart_to_checkout_rate,
  c.purchasers / NULLIF(c.checkout_starters, 0) AS checkout_to_purchase_rate,
  r.currency, r.revenue
FROM counts AS c
LEFT JOIN revenue AS r
  ON r.window_start = c.window_start AND r.default_channel_group = c.default_channel_group AND r.device_type = c.device_type
ORDER BY c.window_start, c.default_channel_group, c.device_type, r.currency
