-- Planted error: GoogleSQL that BigQuery lacks (braced STRUCT constructor),
-- accepted with GoogleSQL's maximum language features.
SELECT STRUCT<product_id STRING, quantity INT64>{product_id: 'sku-1', quantity: 1} AS item
