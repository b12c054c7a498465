-- Per-connection staging for one partition's lines, normalised (no keys: an id may repeat).
-- Columns spelled out: DuckDB 2.0.0 loses a >=122,880-row append into a table made by
-- `CREATE ... AS SELECT ... LIMIT 0` in the same transaction (scans then see no rows).
CREATE OR REPLACE TEMP TABLE staging_reddit_submissions (
    id VARCHAR, subreddit VARCHAR, author VARCHAR, title VARCHAR, selftext VARCHAR,
    score BIGINT, created_utc BIGINT, over_18 BOOLEAN, stickied BOOLEAN,
    distinguished VARCHAR, retrieved_at BIGINT, score_age_s BIGINT, ingested_at BIGINT, source VARCHAR,
    source_line BIGINT,
    reject_reason VARCHAR, raw BLOB  -- set for a line that cannot be used, else NULL
);
