-- The batch benchmark's DuckDB reference: the pipeline's core work only,
-- as plain SQL, on the same raw files. Run by tools/benchref, which replaces
-- {{input}} (a glob of raw files), {{output_events}} and {{output_sessions}}
-- (directories) with quoted literals. What it does, from schemas/raw_event.md and README (Sessions):
--   1. read every line of the gzip and plain files;
--   2. parse the JSON and split beacons into their events, the envelope's
--      sent_at and received_at applying to events without their own;
--   3. drop what the contract dead-letters (not an object, a known field of
--      the wrong type, a required field missing, a bad or absurd timestamp);
--   4. derive event_time (the contract's rules 1-3, in BigQuery's range);
--   5. keep one event per (device_id, event_id), the earliest received
--      (ties, such as a line the collector wrote twice, go to the first file);
--   6. sessions per device ordered by (event_time, event_id): a gap of 30
--      minutes or more starts a new one, and a session of 24 h or more is
--      cut at every UTC midnight; the session id is a hash of the device
--      and the session's first event, and every event carries it;
--   7. write Hive-partitioned Parquet: fact_events by event_date,
--      fact_sessions by session_date.
-- It does none of the rest: no user agents, bot rules, enrichment,
-- pseudonymization, dead-letter rows or dimensions.
SET TimeZone = 'UTC';
SET preserve_insertion_order = false;

-- A value of a known field: NULL when absent or JSON null.
CREATE TEMP MACRO present(v) AS v IS NOT NULL AND json_type(v) <> 'NULL';
CREATE TEMP MACRO str(v) AS CASE WHEN json_type(v) = 'VARCHAR' THEN v ->> '$' END;
CREATE TEMP MACRO str_ok(v) AS NOT present(v) OR json_type(v) = 'VARCHAR';
CREATE TEMP MACRO num_ok(v) AS NOT present(v) OR json_type(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE');
-- user_id and session_id: a string, or a number (an id kept as text).
CREATE TEMP MACRO id_ok(v) AS str_ok(v) OR json_type(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE');
CREATE TEMP MACRO id(v) AS CASE WHEN json_type(v) = 'VARCHAR' THEN v ->> '$'
  WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN json(v)::VARCHAR END;
-- An integer: JSON Schema's, any number with no fraction (2.0 too; through a
-- double here, where the pipeline reads the digits exactly).
CREATE TEMP MACRO int_ok(v) AS NOT present(v) OR json_type(v) IN ('BIGINT', 'UBIGINT')
  OR (json_type(v) = 'DOUBLE' AND v::DOUBLE = trunc(v::DOUBLE) AND abs(v::DOUBLE) < 9.2e18);
CREATE TEMP MACRO required(v) AS json_type(v) = 'VARCHAR' AND trim(v ->> '$') <> '';
-- An id that spells nothing (null, undefined, ...) is missing, as in the contract.
CREATE TEMP MACRO required_id(v) AS required(v)
  AND lower(trim(v ->> '$')) NOT IN ('null', 'undefined', 'none', 'nil', 'nan', '(null)', '[object object]');
-- A timestamp: an RFC 3339 string or epoch milliseconds; NULL if neither
-- (ts_bad tells that from absent) or outside BigQuery's range.
CREATE TEMP MACRO ts(v) AS CASE json_type(v)
    WHEN 'VARCHAR' THEN try_cast(v ->> '$' AS TIMESTAMPTZ)
    WHEN 'BIGINT' THEN CASE WHEN v::DOUBLE BETWEEN -62135596800000 AND 253402300799999 THEN make_timestamp(v::BIGINT * 1000)::TIMESTAMPTZ END
    WHEN 'UBIGINT' THEN CASE WHEN v::DOUBLE BETWEEN -62135596800000 AND 253402300799999 THEN make_timestamp(v::BIGINT * 1000)::TIMESTAMPTZ END
    WHEN 'DOUBLE' THEN CASE WHEN v::DOUBLE BETWEEN -62135596800000 AND 253402300799999 THEN make_timestamp((v::DOUBLE * 1000)::BIGINT)::TIMESTAMPTZ END
  END;
CREATE TEMP MACRO in_range(t) AS CASE WHEN t > TIMESTAMPTZ '0001-01-01 00:00:00Z' AND t < TIMESTAMPTZ '10000-01-01 00:00:00Z' THEN t END;
CREATE TEMP MACRO ts_bad(v, t) AS present(v) AND t IS NULL AND json_type(v) NOT IN ('BIGINT', 'UBIGINT', 'DOUBLE');
CREATE TEMP MACRO sane(t) AS t >= TIMESTAMPTZ '2000-01-01 00:00:00Z' AND t < TIMESTAMPTZ '2100-01-01 00:00:00Z';

-- 1-2. Lines (one VARCHAR column: no delimiter or quote occurs in JSON text),
-- then one row per event, each known field kept as JSON to check its type.
-- A line is parsed once for its fields and events, a beacon's events once more.
SET VARIABLE fields = '{"event_id":"JSON","event_type":"JSON","device_id":"JSON","user_id":"JSON",
  "session_id":"JSON","platform":"JSON","created_at":"JSON","sent_at":"JSON","received_at":"JSON","page_url":"JSON",
  "referrer":"JSON","user_agent":"JSON","ip":"JSON","product_id":"JSON","category_id":"JSON","search_query":"JSON",
  "currency":"JSON","order_id":"JSON","price":"JSON","revenue":"JSON","quantity":"JSON","events":"JSON"}';
CREATE TEMP TABLE events_raw AS
WITH lines AS (
  SELECT filename AS file, line
  FROM read_csv({{input}}, columns = {'line': 'VARCHAR'}, header = false, delim = '\0', quote = '', escape = '',
                auto_detect = false, filename = true, max_line_size = 4194304, ignore_errors = true)
),
objects AS (
  -- CASE, not WHERE alone: the filter must run before the transform.
  SELECT file, CASE WHEN strlen(line) <= 262144 AND json_valid(line) AND json_type(line) = 'OBJECT'
                    THEN json_transform(line, getvariable('fields')) END AS top
  FROM lines
),
items AS (
  SELECT file, top AS f, NULL AS env_sent, NULL AS env_received FROM objects WHERE top IS NOT NULL AND top.events IS NULL
  UNION ALL
  SELECT file, json_transform(e, getvariable('fields')), env_sent, env_received
  FROM (SELECT file, unnest(json_extract(top.events, '$[*]')) AS e, top.sent_at AS env_sent, top.received_at AS env_received
        FROM objects WHERE json_type(top.events) = 'ARRAY')
  WHERE json_type(e) = 'OBJECT'
)
SELECT file, f.* EXCLUDE (events),
       CASE WHEN present(f.sent_at) THEN f.sent_at ELSE env_sent END AS sent_at_j,
       CASE WHEN present(f.received_at) THEN f.received_at ELSE env_received END AS received_at_j
FROM items;

-- 3-5. Valid events with their event time, deduplicated.
CREATE TEMP TABLE events AS
WITH valid AS (
  SELECT * FROM events_raw
  WHERE str_ok(event_id) AND str_ok(event_type) AND str_ok(device_id) AND id_ok(user_id) AND id_ok(session_id)
    AND str_ok(platform) AND str_ok(page_url) AND str_ok(referrer) AND str_ok(user_agent) AND str_ok(ip)
    AND str_ok(product_id) AND str_ok(category_id) AND str_ok(search_query) AND str_ok(currency) AND str_ok(order_id)
    AND num_ok(price) AND num_ok(revenue) AND int_ok(quantity)
    AND required_id(event_id) AND required_id(device_id) AND present(created_at) AND required(event_type)
),
parsed AS (
  SELECT *, ts(created_at) AS c0, ts(sent_at_j) AS s0, ts(received_at_j) AS r0 FROM valid
),
timed AS (
  SELECT *, in_range(c0) AS c, in_range(s0) AS s, in_range(r0) AS r FROM parsed
  WHERE NOT ts_bad(created_at, c0) AND NOT ts_bad(sent_at_j, s0) AND NOT ts_bad(received_at_j, r0)
),
derived AS (
  SELECT *,
         CASE WHEN r IS NOT NULL AND s IS NOT NULL AND c IS NOT NULL
                   AND s >= c AND s - c <= INTERVAL 30 DAY THEN 'derived'
              WHEN r IS NOT NULL THEN 'received_at'
              ELSE 'created_at' END AS time_source
  FROM timed
  WHERE CASE WHEN present(received_at_j) THEN sane(r) ELSE sane(c) END
)
SELECT str(event_id) AS event_id, str(event_type) AS event_type, str(device_id) AS device_id,
       id(user_id) AS user_id, id(session_id) AS client_session_id, str(platform) AS platform,
       c AS created_at, s AS sent_at, r AS received_at,
       CASE time_source WHEN 'derived' THEN r - (s - c) WHEN 'received_at' THEN r ELSE c END AS event_time,
       time_source,
       str(page_url) AS page_url, str(referrer) AS referrer, str(user_agent) AS user_agent, str(ip) AS ip,
       str(product_id) AS product_id, str(category_id) AS category_id, str(search_query) AS search_query,
       str(currency) AS currency, str(order_id) AS order_id,
       price::DOUBLE AS price, revenue::DOUBLE AS revenue, quantity::BIGINT AS quantity, file AS source_file
FROM derived
QUALIFY row_number() OVER (PARTITION BY str(device_id), str(event_id) ORDER BY r NULLS LAST, file) = 1;
DROP TABLE events_raw;

-- 6. Sessions.
CREATE TEMP TABLE sessionized AS
WITH gaps AS (
  SELECT *, CASE WHEN event_time - lag(event_time) OVER w < INTERVAL 30 MINUTE THEN 0 ELSE 1 END AS starts
  FROM events WINDOW w AS (PARTITION BY device_id ORDER BY event_time, event_id)
),
visits AS (
  SELECT *, sum(starts) OVER (PARTITION BY device_id ORDER BY event_time, event_id ROWS UNBOUNDED PRECEDING) AS visit
  FROM gaps
),
runaways AS (
  SELECT *, max(event_time) OVER v - min(event_time) OVER v >= INTERVAL 24 HOUR AS is_runaway
  FROM visits WINDOW v AS (PARTITION BY device_id, visit)
),
pieces AS (
  SELECT *, CASE WHEN is_runaway THEN event_time::DATE END AS piece FROM runaways
)
SELECT * EXCLUDE (starts, visit, piece),
       md5(device_id || '|' || first_value(event_id) OVER s) AS session_id,
       first_value(event_time) OVER s AS session_start
FROM pieces WINDOW s AS (PARTITION BY device_id, visit, piece ORDER BY event_time, event_id);
DROP TABLE events;

-- 7. Parquet, Hive-partitioned.
COPY (SELECT * EXCLUDE (session_start), event_time::DATE AS event_date FROM sessionized)
  TO {{output_events}} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date), OVERWRITE_OR_IGNORE);
COPY (
  SELECT session_id, device_id, any_value(platform) AS platform, max(user_id) AS user_id,
         min(event_time) AS session_start, max(event_time) AS session_end,
         epoch(max(event_time) - min(event_time))::BIGINT AS duration_s, count(*) AS event_count,
         count(*) FILTER (event_type = 'page_view') AS page_views,
         count(*) FILTER (event_type = 'purchase') AS purchases, sum(revenue) AS revenue,
         arg_min(page_url, (event_time, event_id)) AS landing_page,
         arg_min(referrer, (event_time, event_id)) AS referrer,
         bool_or(is_runaway) AS is_runaway, min(session_start)::DATE AS session_date
  FROM sessionized GROUP BY session_id, device_id
) TO {{output_sessions}} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (session_date), OVERWRITE_OR_IGNORE);
