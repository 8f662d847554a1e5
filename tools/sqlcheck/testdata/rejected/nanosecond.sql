-- Planted error: GoogleSQL that BigQuery lacks (nanosecond timestamps:
-- BigQuery's TIMESTAMP has microseconds), accepted with GoogleSQL's maximum
-- language features.
SELECT TIMESTAMP_TRUNC(session_start, NANOSECOND) AS t FROM sessions
