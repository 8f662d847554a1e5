-- Planted error: a field the RECORD column does not have.
SELECT geo.region FROM sessions
