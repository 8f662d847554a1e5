-- Live product performance per hour (live_products_1h, transforms/liveproducts)
-- computed in batch from fact_events_current: per hourly event-time window,
-- product and category (as sql/product_performance.sql: the product events'
-- product_id and category_id, the purchased items' item_id and
-- item_category, '(none)' without one), the product_view and add_to_cart
-- events, the units purchased (quantities, 1 when absent) and the purchased
-- items' revenue, price x quantity, per currency (the item's, else its
-- purchase's, else 'unknown'; items without a price add none).
--
-- Over the streamed rows it equals the current live row (highest
-- pane_index) of every window whose events all came within the allowed
-- lateness, as sql/live/funnel_10m.sql explains.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): event_date range.
-- Grain: one row per (window_start, product_id, category_id, currency); a
-- window with revenue in several currencies is on several rows with the
-- same counts, one without revenue on one row with a NULL currency.
WITH product_events AS (
  SELECT
    CAST(event_date AS TIMESTAMP) + INTERVAL 1 HOUR * CAST(EXTRACT(HOUR FROM event_time) AS INT64) AS window_start,
    product_id, COALESCE(category_id, '(none)') AS category_id, event_type
  FROM fact_events_current
  WHERE event_date BETWEEN @start_date AND @end_date
    AND product_id IS NOT NULL
    AND event_type IN ('product_view', 'add_to_cart')
),
purchased_items AS (
  SELECT
    CAST(e.event_date AS TIMESTAMP) + INTERVAL 1 HOUR * CAST(EXTRACT(HOUR FROM e.event_time) AS INT64) AS window_start,
    i.item_id AS product_id,
    COALESCE(i.item_category, '(none)') AS category_id,
    COALESCE(i.currency, e.currency, 'unknown') AS currency,
    COALESCE(i.quantity, 1) AS units,
    COALESCE(i.quantity, 1) * i.price AS item_revenue
  FROM fact_events_current AS e, UNNEST(e.items) AS i
  WHERE e.event_date BETWEEN @start_date AND @end_date
    AND e.event_type = 'purchase'
    AND i.item_id IS NOT NULL
),
keys AS (
  SELECT window_start, product_id, category_id FROM product_events
  UNION DISTINCT
  SELECT window_start, product_id, category_id FROM purchased_items
),
activity AS (
  SELECT
    window_start, product_id, category_id,
    COUNT(CASE WHEN event_type = 'product_view' THEN 1 END) AS product_views,
    COUNT(CASE WHEN event_type = 'add_to_cart' THEN 1 END) AS add_to_carts
  FROM product_events
  GROUP BY window_start, product_id, category_id
),
units AS (
  SELECT window_start, product_id, category_id, SUM(units) AS units_purchased
  FROM purchased_items
  GROUP BY window_start, product_id, category_id
),
revenue AS (
  SELECT window_start, product_id, category_id, currency, SUM(item_revenue) AS revenue
  FROM purchased_items
  WHERE item_revenue IS NOT NULL
  GROUP BY window_start, product_id, category_id, currency
)
SELECT
  k.window_start, k.product_id, k.category_id,
  COALESCE(a.product_views, 0) AS product_views,
  COALESCE(a.add_to_carts, 0) AS add_to_carts,
  COALESCE(u.units_purchased, 0) AS units_purchased,
  r.currency, r.revenue
FROM keys AS k
LEFT JOIN activity AS a
  ON a.window_start = k.window_start AND a.product_id = k.product_id AND a.category_id = k.category_id
LEFT JOIN units AS u
  ON u.window_start = k.window_start AND u.product_id = k.product_id AND u.category_id = k.category_id
LEFT JOIN revenue AS r
  ON r.window_start = k.window_start AND r.product_id = k.product_id AND r.category_id = k.category_id
ORDER BY k.window_start, k.product_id, k.category_id, r.currency
