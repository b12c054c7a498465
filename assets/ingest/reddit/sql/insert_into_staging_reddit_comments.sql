-- Normalise one batch of raw dump lines into staging. `batch(line BIGINT, raw BLOB)` is an
-- Arrow table registered by the caller; $source and $ingested_at (the ingest's start) are
-- bound. $routed is false for lines of neither kind (the dump ingest routes each line to
-- its kind's writer and hands the rest to one of them): each is rejected. Macros:
-- create_json_readers.sql.
-- A line that cannot be used is staged with its raw bytes and the first reason that
-- applies (rows.REJECT_REASONS), in the order the columns are read.
INSERT INTO staging_reddit_comments BY NAME
WITH read AS (
    SELECT line, raw, line_reason, id, retrieved_at, retrieved_reason, t, s,
        strip_prefix(s[1], 't3_') AS post_id,
        json_text(t[2], s[2]) AS parent_text,
        json_text(t[3], s[3]) AS subreddit,
        json_text(t[4], s[4]) AS author_text,
        json_text(t[5], s[5]) AS body,
        json_bigint(t[6], s[6]) AS score,
        json_bigint(t[7], s[7]) AS created_utc,
        json_bool(t[8], s[8]) AS score_hidden,
        json_bool(t[9], s[9]) AS stickied,
        json_text(t[10], s[10]) AS distinguished,
        json_edited(t[11], s[11]) AS edited
    FROM parsed_lines('batch', [
        '$.link_id', '$.parent_id', '$.subreddit', '$.author', '$.body', '$.score',
        '$.created_utc', '$.score_hidden', '$.stickied', '$.distinguished', '$.edited'
    ], 't1_')
)
SELECT
    id, post_id,
    CASE WHEN left(parent_text, 3) IN ('t1_', 't3_') THEN parent_text  -- some exports drop it
         WHEN parent_text = post_id THEN 't3_' || parent_text
         ELSE 't1_' || parent_text END AS parent_id,
    subreddit,
    CASE WHEN author_text <> '[deleted]' THEN author_text END AS author,  -- deleted: NULL
    body, score, created_utc, score_hidden, stickied, distinguished, edited,
    retrieved_at, score_age_s(retrieved_at, created_utc) AS score_age_s,  -- macro: migration 0004
    $ingested_at AS ingested_at,
    $source AS source, line AS source_line,
    coalesce(
        line_reason,
        CASE WHEN NOT $routed THEN 'neither comment nor submission'
             WHEN NOT json_present(t[1]) OR (t[1] = 'VARCHAR' AND s[1] = '') THEN 'missing link_id'
             WHEN t[1] <> 'VARCHAR' THEN 'wrong type: link_id'
             WHEN json_unreadable(t[2], parent_text) THEN 'wrong type: parent_id'
             WHEN json_unreadable(t[3], subreddit) THEN 'wrong type: subreddit'
             WHEN json_unreadable(t[4], author_text) THEN 'wrong type: author'
             WHEN json_unreadable(t[5], body) THEN 'wrong type: body'
             WHEN json_unreadable(t[6], score) THEN 'wrong type: score'
             WHEN json_unreadable(t[7], created_utc) THEN 'wrong type: created_utc'
             WHEN json_unreadable(t[8], score_hidden) THEN 'wrong type: score_hidden'
             WHEN json_unreadable(t[9], stickied) THEN 'wrong type: stickied'
             WHEN json_unreadable(t[10], distinguished) THEN 'wrong type: distinguished'
             WHEN json_unreadable(t[11], edited) THEN 'wrong type: edited'
        END,
        retrieved_reason
    ) AS reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN raw END AS raw
FROM read;
