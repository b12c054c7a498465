-- Raw tables: one row per Reddit id, whichever source (dump or praw) saw it.
-- created_utc and retrieved_at are epoch seconds; author NULL means deleted.
CREATE TABLE IF NOT EXISTS reddit_submissions (
    id            VARCHAR PRIMARY KEY,  -- base36 id, no "t3_" prefix
    subreddit     VARCHAR,
    author        VARCHAR,
    title         VARCHAR,
    selftext      VARCHAR,
    score         BIGINT,               -- NULL when the source did not say
    created_utc   BIGINT,
    over_18       BOOLEAN,
    stickied      BOOLEAN,
    distinguished VARCHAR,
    retrieved_at  BIGINT,               -- when this version was fetched; the newest wins
    source        VARCHAR NOT NULL,     -- "dump:<file name>" or "praw:<subreddit>:<day>"
    source_line   BIGINT                -- 1-based line in the dump; NULL for praw
);

CREATE TABLE IF NOT EXISTS reddit_comments (
    id            VARCHAR PRIMARY KEY,  -- base36 id, no "t1_" prefix
    post_id       VARCHAR NOT NULL,     -- link_id without its "t3_" prefix
    parent_id     VARCHAR,              -- as Reddit gives it: "t3_..." (top level) or "t1_..."
    subreddit     VARCHAR,
    author        VARCHAR,
    body          VARCHAR,
    score         BIGINT,
    created_utc   BIGINT,
    score_hidden  BOOLEAN,
    stickied      BOOLEAN,
    distinguished VARCHAR,
    edited        BOOLEAN,
    retrieved_at  BIGINT,
    source        VARCHAR NOT NULL,
    source_line   BIGINT
);

-- Lines that could not be ingested, kept whole so nothing is lost.
CREATE TABLE IF NOT EXISTS ingest_rejects (
    source      VARCHAR NOT NULL,
    line        BIGINT NOT NULL,
    kind        VARCHAR NOT NULL,       -- "comment" or "submission"
    reason      VARCHAR NOT NULL,
    raw         BLOB,
    rejected_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (source, line)
);

CREATE TABLE IF NOT EXISTS preference_pairs (
    pair_id              VARCHAR PRIMARY KEY,  -- md5(post_id:chosen_id:rejected_id)
    post_id              VARCHAR NOT NULL,
    subreddit            VARCHAR,
    prompt               VARCHAR NOT NULL,
    chosen_id            VARCHAR NOT NULL,
    rejected_id          VARCHAR NOT NULL,
    chosen               VARCHAR NOT NULL,
    rejected             VARCHAR NOT NULL,
    chosen_author        VARCHAR,
    rejected_author      VARCHAR,
    chosen_score         BIGINT NOT NULL,
    rejected_score       BIGINT NOT NULL,
    score_ratio          DOUBLE NOT NULL,
    post_created_utc     BIGINT,
    chosen_created_utc   BIGINT NOT NULL,
    rejected_created_utc BIGINT NOT NULL,
    split                VARCHAR NOT NULL      -- "train" or "eval", by hash of post_id
);
