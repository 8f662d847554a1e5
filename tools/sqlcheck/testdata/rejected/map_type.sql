-- Planted error: GoogleSQL that BigQuery lacks (the MAP type), accepted
-- with GoogleSQL's maximum language features.
SELECT MAP_FROM_ARRAY([('ios', 1), ('android', 2)]) AS device_rank
