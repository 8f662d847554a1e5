-- Abandoned carts per day from the live triggers (cart_abandonment,
-- transforms/abandonment): carts triggered, how many of them were
-- recovered, their value, and the share recovered. Rows are deduplicated on
-- (trigger_id, status), as every consumer of the topic must: appends and
-- publishing are at least once.
--
-- This is the cart-level definition (a device's cart gone quiet for
-- --abandon_after without a checkout_start). sql/cart_abandonment.sql is the
-- session-level one (sessions with an add to cart and no purchase, and
-- those that had started checkout): the two answer different questions and
-- are not expected to agree; see sql/README.md.
--
-- Parameters: @start_date, @end_date (DATE, inclusive): trigger_date range.
-- Grain: one row per trigger_date and currency of the cart value.
WITH triggers AS (
  SELECT DISTINCT trigger_date, trigger_id, status, cart_value, currency
  FROM cart_abandonment
  WHERE trigger_date BETWEEN @start_date AND @end_date
),
carts AS (
  SELECT
    trigger_date, trigger_id,
    MAX(CASE WHEN status = 'abandoned' THEN COALESCE(currency, 'unknown') END) AS currency,
    MAX(CASE WHEN status = 'abandoned' THEN cart_value END) AS cart_value,
    MAX(CASE WHEN status = 'recovered' THEN 1 ELSE 0 END) AS recovered
  FROM triggers
  GROUP BY trigger_date, trigger_id
)
SELECT
  trigger_date AS day,
  currency,
  COUNT(*) AS abandoned_carts,
  SUM(recovered) AS recovered_carts,
  ROUND(SUM(recovered) / NULLIF(COUNT(*), 0), 4) AS recovery_rate,
  ROUND(SUM(cart_value), 2) AS abandoned_value
FROM carts
GROUP BY trigger_date, currency
ORDER BY day, currency
