-- Normalise one batch of raw dump lines into staging: the submission counterpart of
-- insert_into_staging_reddit_comments.sql (same inputs, same reject rules).
INSERT INTO staging_reddit_submissions BY NAME
WITH read AS (
    SELECT line, raw, line_reason, id, retrieved_at, retrieved_reason, t, s,
        json_text(t[1], s[1]) AS subreddit,
        json_text(t[2], s[2]) AS author_text,
        json_text(t[3], s[3]) AS title,
        json_text(t[4], s[4]) AS selftext,
        json_bigint(t[5], s[5]) AS score,
        json_bigint(t[6], s[6]) AS created_utc,
        json_bool(t[7], s[7]) AS over_18,
        json_bool(t[8], s[8]) AS stickied,
        json_text(t[9], s[9]) AS distinguished
    FROM parsed_lines('batch', [
        '$.subreddit', '$.author', '$.title', '$.selftext', '$.score', '$.created_utc',
        '$.over_18', '$.stickied', '$.distinguished'
    ], 't3_')
)
SELECT
    id, subreddit,
    CASE WHEN author_text <> '[deleted]' THEN author_text END AS author,  -- deleted: NULL
    title, selftext, score, created_utc, over_18, stickied, distinguished,
    retrieved_at, score_age_s(retrieved_at, created_utc) AS score_age_s,  -- macro: migration 0004
    $ingested_at AS ingested_at,
    $source AS source, line AS source_line,
    coalesce(
        line_reason,
        CASE WHEN NOT $routed THEN 'neither comment nor submission'
             WHEN json_unreadable(t[1], subreddit) THEN 'wrong type: subreddit'
             WHEN json_unreadable(t[2], author_text) THEN 'wrong type: author'
             WHEN json_unreadable(t[3], title) THEN 'wrong type: title'
             WHEN json_unreadable(t[4], selftext) THEN 'wrong type: selftext'
             WHEN json_unreadable(t[5], score) THEN 'wrong type: score'
             WHEN json_unreadable(t[6], created_utc) THEN 'wrong type: created_utc'
             WHEN json_unreadable(t[7], over_18) THEN 'wrong type: over_18'
             WHEN json_unreadable(t[8], stickied) THEN 'wrong type: stickied'
             WHEN json_unreadable(t[9], distinguished) THEN 'wrong type: distinguished'
        END,
        retrieved_reason
    ) AS reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN raw END AS raw
FROM read;
