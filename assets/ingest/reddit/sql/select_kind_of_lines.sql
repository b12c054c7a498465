-- The kind of each line of `batch(line BIGINT, raw BLOB)`, registered by the caller, in line
-- order: 'comments' for an object with a parent_id or link_id, 'submissions' for one with a
-- title, NULL for anything else (not a JSON object, or neither kind). A key counts when
-- present, even as null, so such a line gets its kind's own reject ("missing link_id").
-- One parse of three paths: a fraction of what staging a line costs (rows.PartitionWriter).
SELECT CASE WHEN t[1] IS NOT NULL OR t[2] IS NOT NULL THEN 'comments'
            WHEN t[3] IS NOT NULL THEN 'submissions' END AS kind
FROM (
    SELECT line, try(json_type(try(decode(raw)), ['$.parent_id', '$.link_id', '$.title'])) AS t
    FROM batch
)
ORDER BY line;
