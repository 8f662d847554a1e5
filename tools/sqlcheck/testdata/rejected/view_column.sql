-- Planted error: a column the view drops (its columns come from its query).
SELECT copy_rank FROM sessions_latest
