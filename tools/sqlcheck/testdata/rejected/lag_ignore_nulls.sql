-- Planted error: IGNORE NULLS on LAG, which BigQuery's LAG and LEAD do not take.
SELECT LAG(device_id IGNORE NULLS) OVER (ORDER BY session_start) AS previous_device FROM sessions
