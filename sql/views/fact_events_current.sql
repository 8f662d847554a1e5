-- fact_events with one row per event: the copies of an event that the
-- streaming path can write more than once (Pub/Sub redelivers a message,
-- the Storage Write API default stream retries an append, a client resends
-- a beacon) are removed, keeping the copy the batch pipeline would keep
-- (transforms/dedup): per device_id and event_id, the one received first
-- (a NULL received_at first, as Go's zero time), then by source,
-- source_line and beacon_index. Rows the batch pipeline loaded are already
-- unique; the view changes nothing for them.
--
-- Query it with a filter on event_date, as fact_events itself (it requires
-- a partition filter): the filter reaches the table through the view
-- because the window is partitioned by event_date. For the same reason,
-- two copies of one event with different event_dates (a resent beacon
-- whose derived event_time falls on the other side of midnight) are both
-- kept; the nightly batch run, which replaces those dates, keeps one.
--
-- Rendered by Terraform (templatefile) with project and dataset.
-- Parameters: none (a view); filter event_date when querying it.
-- Grain: one row per device_id, event_id and event_date.
SELECT
  event_id, event_type, event_date, event_time, time_source, created_at, sent_at, received_at,
  device_id, user_key, client_session_id, session_id, platform,
  page_url, page_host, page_path, page_query, page_key,
  utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid, msclkid, fbclid,
  referrer, referrer_host,
  traffic_source, traffic_medium, traffic_campaign, default_channel_group,
  geo_country, geo_region, geo_city, geo_continent,
  user_agent, device_type, browser, browser_version, os, os_version, ip,
  product_id, category_id, search_query, price, quantity, currency, order_id, revenue,
  items, properties,
  source, source_line, beacon_index, results_count
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY event_date, device_id, event_id
      ORDER BY received_at NULLS FIRST, source, source_line, beacon_index
    ) AS copy_rank
  FROM `${project}.${dataset}.fact_events`
) AS copies
WHERE copy_rank = 1
