-- Typed readers for one field of a dump line, as macros of this connection. Each takes the
-- field's JSON type `t` (json_type: NULL when the key is absent, 'NULL' for JSON null) and
-- its text `s` (json_extract_string), and returns NULL when the field is absent, null, or
-- of a type it cannot read. `json_unreadable(t, value)` tells that last case apart: the
-- line is rejected as "wrong type: <field>". Field types vary across Pushshift years:
-- epochs and scores come as ints, floats or numeric strings, booleans as 0/1.
CREATE OR REPLACE TEMP MACRO json_present(t) AS t IS NOT NULL AND t <> 'NULL';

CREATE OR REPLACE TEMP MACRO json_unreadable(t, value) AS json_present(t) AND value IS NULL;

CREATE OR REPLACE TEMP MACRO json_text(t, s) AS CASE WHEN t = 'VARCHAR' THEN s END;

-- A float is truncated toward zero, as Python's int() does; out of range is unreadable.
CREATE OR REPLACE TEMP MACRO double_to_bigint(d) AS
    CASE WHEN isfinite(d) AND abs(d) < 9223372036854775808.0 THEN trunc(d)::BIGINT END;

CREATE OR REPLACE TEMP MACRO json_bigint(t, s) AS CASE t
    WHEN 'BIGINT' THEN try_cast(s AS BIGINT)
    WHEN 'UBIGINT' THEN try_cast(s AS BIGINT)
    WHEN 'DOUBLE' THEN double_to_bigint(try_cast(s AS DOUBLE))
    WHEN 'VARCHAR' THEN CASE
        WHEN regexp_full_match(trim(s), '[+-]?[0-9]+') THEN try_cast(trim(s) AS BIGINT)
        ELSE double_to_bigint(try_cast(trim(s) AS DOUBLE))
    END
END;

CREATE OR REPLACE TEMP MACRO json_bool(t, s) AS CASE
    WHEN t = 'BOOLEAN' THEN s = 'true'
    WHEN t IN ('BIGINT', 'UBIGINT') AND s IN ('0', '1') THEN s = '1'
END;

-- `edited` is false, true, or the epoch second of the edit.
CREATE OR REPLACE TEMP MACRO json_edited(t, s) AS CASE
    WHEN t = 'BOOLEAN' THEN s = 'true'
    WHEN t IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN try_cast(s AS DOUBLE) <> 0
END;

-- A retrieval time: an epoch (any numeric form) or an ISO 8601 timestamp (naive = UTC).
CREATE OR REPLACE TEMP MACRO json_epoch(t, s) AS CASE
    WHEN t = 'VARCHAR' AND NOT regexp_full_match(s, '-*[0-9]*\.?[0-9]*') THEN CASE
        -- an explicit offset decides; a naive one is UTC whatever the session's TimeZone.
        -- The offset must follow a time: a date's own "-01" is no offset.
        WHEN regexp_matches(s, '[0-9]:[0-9]{2}(:[0-9]{2})?(\.[0-9]+)? *(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')
            THEN epoch(try_cast(s AS TIMESTAMPTZ))::BIGINT
        ELSE epoch(try_cast(s AS TIMESTAMP))::BIGINT
    END
    ELSE json_bigint(t, s)
END;

-- "t3_abc" -> "abc"; an id written without its prefix is kept as is.
CREATE OR REPLACE TEMP MACRO strip_prefix(s, prefix) AS
    CASE WHEN starts_with(s, prefix) THEN s[4:] ELSE s END;

-- The reason a line is not a JSON object, or NULL when it is one. A line over 8 MiB
-- (dumps.MAX_LINE_BYTES) reaches here cut to its first 8 MiB + 1 byte.
CREATE OR REPLACE TEMP MACRO line_reject(raw, doc, doc_type) AS CASE
    WHEN octet_length(raw) > 8388608 THEN 'line too long'
    WHEN doc IS NULL THEN 'invalid utf-8'
    WHEN doc_type IS NULL AND trim(doc, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) = ''
        THEN 'empty line'
    WHEN doc_type IS NULL THEN 'invalid json'
    WHEN doc_type <> 'OBJECT' THEN 'not an object'
END;

-- The table named `lines_table` (line BIGINT, raw BLOB) of dump lines, parsed. Per line:
-- `line_reason`, why it is not an object with an id, else NULL; the `id` (`id`, else the
-- fullname `name`, without `id_prefix`); `retrieved_at`, the first retrieval field present
-- (NULL when there is none: unknown) and `retrieved_reason` if it is unreadable; the JSON
-- type `t` and text `s` of each path in `fields`. One parse for the types, one for the texts.
CREATE OR REPLACE TEMP MACRO parsed_lines(lines_table, fields, id_prefix) AS TABLE
WITH lines AS (
    SELECT line, raw, try(decode(raw)) AS doc FROM query_table(lines_table)
), typed AS (
    SELECT line, raw, doc, try(json_type(doc)) AS doc_type FROM lines
), read AS (
    SELECT line, raw, line_reject(raw, doc, doc_type) AS line_reason,
        CASE WHEN doc_type = 'OBJECT' THEN json_type(doc, [
            '$.id', '$.name', '$.retrieved_on', '$.retrieved_utc', '$.scraped_utc', '$.recorded_at'
        ] || fields) END AS t,
        CASE WHEN doc_type = 'OBJECT' THEN json_extract_string(doc, [
            '$.id', '$.name', '$.retrieved_on', '$.retrieved_utc', '$.scraped_utc', '$.recorded_at'
        ] || fields) END AS s
    FROM typed
), picked AS (
    SELECT *,
        CASE WHEN json_present(t[1]) THEN t[1] ELSE t[2] END AS id_t,
        CASE WHEN json_present(t[1]) THEN s[1] ELSE s[2] END AS id_s,
        CASE WHEN json_present(t[3]) THEN 3 WHEN json_present(t[4]) THEN 4
             WHEN json_present(t[5]) THEN 5 WHEN json_present(t[6]) THEN 6
        END AS retrieved_index
    FROM read
), retrieved AS (
    SELECT *,
        ['retrieved_on', 'retrieved_utc', 'scraped_utc', 'recorded_at'][retrieved_index - 2]
            AS retrieved_field,
        json_epoch(t[retrieved_index], s[retrieved_index]) AS retrieved_epoch
    FROM picked
)
SELECT line, raw, t[7:] AS t, s[7:] AS s,
    coalesce(
        line_reason,
        CASE WHEN NOT json_present(id_t) OR (id_t = 'VARCHAR' AND id_s = '') THEN 'missing id'
             WHEN id_t <> 'VARCHAR' THEN 'wrong type: id' END
    ) AS line_reason,
    strip_prefix(id_s, id_prefix) AS id,
    retrieved_epoch AS retrieved_at,
    CASE WHEN retrieved_field IS NOT NULL AND retrieved_epoch IS NULL
        THEN 'wrong type: ' || retrieved_field END AS retrieved_reason
FROM retrieved;
