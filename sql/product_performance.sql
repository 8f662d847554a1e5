-- Product performance: per product and category, views, adds to cart,
-- purchases, item revenue and the view-to-purchase rate, from the events.
--
-- Views and adds are the product events (product_id, category_id).
-- Purchases are the line items of purchase events (fact_events.items,
-- item_id and item_category): units_purchased is the sum of their
-- quantities (1 when absent) and the item revenue of quantity times price,
-- without shipping. A product's events count whatever currency they name,
-- so a view without one or in another currency is the same product's; only
-- revenue is per currency, never summed across currencies: currencies
-- (sorted; an item's own, else its purchase's, else 'unknown') and
-- item_revenues, parallel arrays, NULL without purchases. A category is
-- each event's or item's own ('(none)' without one), as in
-- sql/live/products_1h.sql, so a product whose views and items name
-- different categories is on a row per category.
-- view_to_purchase_rate = purchasing_sessions / viewing_sessions.
--
-- Items are read with a table UNNEST (FROM e, UNNEST(e.items) AS i), which
-- the local warehouse translates for DuckDB (io/warehouse/duck, SQL
-- dialect).
--
-- Parameters: @start_date, @end_date (DATE, inclusive): event_date range.
-- Grain: one row per (product_id, category_id) with a view, an add, a
-- removal or a purchase in the range.
WITH product_events AS (
  SELECT
    session_id, event_type, product_id,
    COALESCE(category_id, '(none)') AS category_id,
    COALESCE(quantity, 1) AS quantity
  FROM fact_events
  WHERE event_date BETWEEN @start_date AND @end_date
    AND product_id IS NOT NULL
    AND event_type IN ('product_view', 'add_to_cart', 'remove_from_cart')
),
purchased_items AS (
  SELECT
    i.item_id AS product_id,
    COALESCE(i.item_category, '(none)') AS category_id,
    COALESCE(i.currency, e.currency, 'unknown') AS revenue_currency,
    e.session_id,
    COALESCE(i.quantity, 1) AS units,
    COALESCE(i.quantity, 1) * i.price AS item_revenue
  FROM fact_events AS e, UNNEST(e.items) AS i
  WHERE e.event_date BETWEEN @start_date AND @end_date
    AND e.event_type = 'purchase'
    AND i.item_id IS NOT NULL
),
activity AS (
  SELECT
    product_id,
    category_id,
    COUNT(CASE WHEN event_type = 'product_view' THEN 1 END) AS product_views,
    COUNT(DISTINCT CASE WHEN event_type = 'product_view' THEN session_id END) AS viewing_sessions,
    COUNT(CASE WHEN event_type = 'add_to_cart' THEN 1 END) AS add_to_carts,
    SUM(CASE WHEN event_type = 'add_to_cart' THEN quantity ELSE 0 END) AS units_added,
    COUNT(DISTINCT CASE WHEN event_type = 'add_to_cart' THEN session_id END) AS cart_sessions
  FROM product_events
  GROUP BY product_id, category_id
),
by_currency AS (
  SELECT product_id, category_id, revenue_currency, COALESCE(SUM(item_revenue), 0) AS item_revenue
  FROM purchased_items
  GROUP BY product_id, category_id, revenue_currency
),
sales AS (
  SELECT
    p.product_id,
    p.category_id,
    SUM(p.units) AS units_purchased,
    COUNT(DISTINCT p.session_id) AS purchasing_sessions
  FROM purchased_items AS p
  GROUP BY p.product_id, p.category_id
),
revenues AS (
  SELECT
    product_id,
    category_id,
    ARRAY_AGG(revenue_currency ORDER BY revenue_currency) AS currencies,
    ARRAY_AGG(ROUND(item_revenue, 2) ORDER BY revenue_currency) AS item_revenues
  FROM by_currency
  GROUP BY product_id, category_id
)
SELECT
  COALESCE(a.product_id, s.product_id) AS product_id,
  COALESCE(a.category_id, s.category_id) AS category_id,
  COALESCE(a.product_views, 0) AS product_views,
  COALESCE(a.viewing_sessions, 0) AS viewing_sessions,
  COALESCE(a.add_to_carts, 0) AS add_to_carts,
  COALESCE(a.units_added, 0) AS units_added,
  COALESCE(a.cart_sessions, 0) AS cart_sessions,
  COALESCE(s.units_purchased, 0) AS units_purchased,
  COALESCE(s.purchasing_sessions, 0) AS purchasing_sessions,
  r.currencies,
  r.item_revenues,
  ROUND(COALESCE(s.purchasing_sessions, 0) / NULLIF(a.viewing_sessions, 0), 4) AS view_to_purchase_rate
FROM activity AS a
FULL OUTER JOIN sales AS s
  ON s.product_id = a.product_id
  AND s.category_id = a.category_id
LEFT JOIN revenues AS r
  ON r.product_id = COALESCE(a.product_id, s.product_id)
  AND r.category_id = COALESCE(a.category_id, s.category_id)
ORDER BY product_views DESC, units_purchased DESC, product_id, category_id
