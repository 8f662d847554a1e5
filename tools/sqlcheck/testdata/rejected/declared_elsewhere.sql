-- Planted error: a parameter named in the header, but not in its
-- parameters paragraph: only that paragraph declares.
-- Grain: one row per session; @day (DATE) is not a declaration here.
SELECT session_id FROM sessions WHERE session_date = @day
