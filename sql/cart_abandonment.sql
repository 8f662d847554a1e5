-- Cart abandonment by day and device: sessions that added to cart, how many
-- of them ended without a purchase, and how many of those got as far as
-- starting checkout.
--
-- Session-level: a cart filled in one session and bought in a later one
-- counts as abandoned in the first (the cart itself is not tracked).
--
-- Parameters: @start_date, @end_date (DATE, inclusive): session_date range.
-- Grain: one row per (session_date, device_type).
SELECT
  session_date AS day,
  device_type,
  COUNT(CASE WHEN add_to_carts > 0 THEN 1 END) AS cart_sessions,
  COUNT(CASE WHEN add_to_carts > 0 AND NOT had_purchase THEN 1 END) AS abandoned_sessions,
  COUNT(CASE WHEN add_to_carts > 0 AND checkout_starts > 0 AND NOT had_purchase THEN 1 END) AS abandoned_in_checkout,
  ROUND(
    COUNT(CASE WHEN add_to_carts > 0 AND NOT had_purchase THEN 1 END)
      / NULLIF(COUNT(CASE WHEN add_to_carts > 0 THEN 1 END), 0),
    4) AS abandonment_rate
FROM fact_sessions
WHERE session_date BETWEEN @start_date AND @end_date
GROUP BY session_date, device_type
ORDER BY day, cart_sessions DESC, device_type
