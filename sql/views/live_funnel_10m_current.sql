-- live_funnel_10m with only the current row of each window and group: the
-- streaming pipeline appends a row per firing (early, on time, late), each
-- holding the whole window as known so far, so the row with the highest
-- pane_index is the current one. A retried append can repeat a row; its
-- copies are equal but for fired_at, and the latest fired_at is kept.
--
-- Rendered by Terraform (templatefile) with project and dataset.
-- Parameters: none (a view); filter window_date when querying it.
-- Grain: one row per window_start, default_channel_group and device_type.
SELECT
  window_date, window_start, window_end, default_channel_group, device_type, pane_index, pane_timing,
  product_viewers, cart_adders, checkout_starters, purchasers,
  view_to_cart_rate, cart_to_checkout_rate, checkout_to_purchase_rate,
  currencies, revenues, fired_at
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY window_date, window_start, default_channel_group, device_type
      ORDER BY pane_index DESC, fired_at DESC
    ) AS firing_rank
  FROM `${project}.${dataset}.live_funnel_10m`
) AS firings
WHERE firing_rank = 1
