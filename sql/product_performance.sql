-- Product performance: per product, views, adds to cart, purchases and the
-- view-to-purchase rate, from the events.
--
-- Purchase events carry the order (order_id, revenue), not its items, so a
-- product's purchases are read from the cart: the units of a product added
-- (add_to_cart quantity) minus those removed (remove_from_cart) in a session
-- since its previous purchase (or its start) are bought by its next
-- purchase, when positive. Events are matched by session_id; a
-- purchase up to a day after @end_date still completes a cart filled in
-- the range (sessions last at most 24 h). item_revenue is units times the
-- price on the add_to_cart events, without shipping.
-- view_to_purchase_rate = purchasing_sessions / viewing_sessions.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): event_date range of
-- the product events.
-- Grain: one row per (product_id, category_id).
WITH product_events AS (
  SELECT
    session_id, event_id, event_type, event_time, product_id,
    COALESCE(category_id, '(none)') AS category_id,
    COALESCE(quantity, 1) AS quantity,
    price
  FROM fact_events
  WHERE event_date BETWEEN @start_date AND @end_date
    AND product_id IS NOT NULL
    AND event_type IN ('product_view', 'add_to_cart', 'remove_from_cart')
),
purchases AS (
  SELECT
    session_id,
    event_time AS purchased_at,
    LAG(event_time) OVER (PARTITION BY session_id ORDER BY event_time, event_id) AS previous_purchase_at
  FROM fact_events
  WHERE event_date BETWEEN @start_date AND @end_date + 1
    AND event_type = 'purchase'
    AND session_id IS NOT NULL
),
bought AS (
  SELECT
    m.product_id,
    m.category_id,
    m.session_id,
    p.purchased_at,
    SUM(CASE WHEN m.event_type = 'add_to_cart' THEN m.quantity ELSE -m.quantity END) AS units,
    SUM(CASE WHEN m.event_type = 'add_to_cart' THEN m.quantity * m.price ELSE -m.quantity * m.price END) AS item_revenue
  FROM product_events AS m
  JOIN purchases AS p
    ON p.session_id = m.session_id
    AND m.event_time < p.purchased_at
    AND (p.previous_purchase_at IS NULL OR m.event_time > p.previous_purchase_at)
  WHERE m.event_type IN ('add_to_cart', 'remove_from_cart')
  GROUP BY m.product_id, m.category_id, m.session_id, p.purchased_at
  HAVING SUM(CASE WHEN m.event_type = 'add_to_cart' THEN m.quantity ELSE -m.quantity END) > 0
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
sales AS (
  SELECT
    product_id,
    category_id,
    SUM(units) AS units_purchased,
    COUNT(DISTINCT session_id) AS purchasing_sessions,
    SUM(item_revenue) AS item_revenue
  FROM bought
  GROUP BY product_id, category_id
)
SELECT
  a.product_id,
  a.category_id,
  a.product_views,
  a.viewing_sessions,
  a.add_to_carts,
  a.units_added,
  a.cart_sessions,
  COALESCE(s.units_purchased, 0) AS units_purchased,
  COALESCE(s.purchasing_sessions, 0) AS purchasing_sessions,
  ROUND(COALESCE(s.item_revenue, 0), 2) AS item_revenue,
  ROUND(COALESCE(s.purchasing_sessions, 0) / NULLIF(a.viewing_sessions, 0), 4) AS view_to_purchase_rate
FROM activity AS a
LEFT JOIN sales AS s
  ON s.product_id = a.product_id
  AND s.category_id = a.category_id
ORDER BY a.product_views DESC, COALESCE(s.units_purchased, 0) DESC, a.product_id, a.category_id
