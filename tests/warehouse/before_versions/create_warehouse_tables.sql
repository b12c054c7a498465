-- Raw tables: one row per Reddit id, whichever source (dump or praw) saw it.
-- created_utc, retrieved_at and ingested_at are epoch seconds; author NULL means deleted.
-- No PRIMARY KEY: DuckDB keeps a key's index in memory and rebuilds it on every bulk
-- write (+1.7 s per 576k comments, and a re-ingest's commit 7 s); the merge keeps ids
-- unique and checks it for every partition (count_copies_of_staged_*.sql).
CREATE TABLE IF NOT EXISTS reddit_submissions (
    id            VARCHAR NOT NULL,     -- base36 id, no "t3_" prefix
    subreddit     VARCHAR,
    author        VARCHAR,
    title         VARCHAR,
    selftext      VARCHAR,
    score         BIGINT,               -- NULL when the source did not say
    created_utc   BIGINT,
    over_18       BOOLEAN,
    stickied      BOOLEAN,
    distinguished VARCHAR,
    retrieved_at  BIGINT,               -- when this version was fetched, NULL when the line did
                                        -- not say; which version wins: retrieval_wins below
    source        VARCHAR NOT NULL,     -- "dump:<file name>" or "praw:<subreddit>:<day>"
    source_line   BIGINT                -- 1-based line in the dump; NULL for praw
);

CREATE TABLE IF NOT EXISTS reddit_comments (
    id            VARCHAR NOT NULL,     -- base36 id, no "t1_" prefix
    post_id       VARCHAR NOT NULL,     -- link_id without its "t3_" prefix
    parent_id     VARCHAR,              -- as Reddit gives it: "t3_..." (top level) or "t1_..."
    subreddit     VARCHAR,
    author        VARCHAR,
    body          VARCHAR USING COMPRESSION zstd,  -- vs DuckDB's default FSST: ~0.6 s less per
                                                   -- 576k comments written, 25% smaller
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
-- When this version was ingested (the start of its dump ingest or praw fetch): what ranks two
-- versions whose retrieval time is unknown. Added here rather than above so older warehouses
-- get it too; their rows keep NULL, and their retrieved_at (the ingest time for lines that
-- carried none, as it was then) counts as known: nothing tells those rows apart.
ALTER TABLE reddit_submissions ADD COLUMN IF NOT EXISTS ingested_at BIGINT;
ALTER TABLE reddit_comments ADD COLUMN IF NOT EXISTS ingested_at BIGINT;

-- Whether a version of a row (its retrieved_at and ingested_at) replaces the stored one of the
-- same id: a known retrieval time always beats an unknown one (an old dump without them,
-- ingested after a newer fetch, must not take its place), the newest known one wins, and
-- between unknown ones the later ingest. Ties replace: a re-run rewrites its own rows.
CREATE OR REPLACE MACRO retrieval_wins(retrieved_at, ingested_at, stored_retrieved_at, stored_ingested_at) AS
    CASE WHEN retrieved_at IS NOT NULL THEN retrieved_at >= coalesce(stored_retrieved_at, retrieved_at)
         ELSE stored_retrieved_at IS NULL AND ingested_at >= coalesce(stored_ingested_at, ingested_at)
    END;

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
-- The post's author (NULL: deleted). The prompt is their text, so forgetting an author also
-- leaves out the pairs under their posts. Added here rather than above so older warehouses get
-- it too, in the same place (last) as a new one: the inserts are positional and the row
-- digests follow the column order. An older warehouse's pairs get it from their posts once,
-- when it is added (update_preference_pairs_post_author.sql, run by warehouse.ensure_schema).
ALTER TABLE preference_pairs ADD COLUMN IF NOT EXISTS post_author VARCHAR;

-- Lineage: every snapshot and the pairs frozen into it, written with the snapshot itself.
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id   VARCHAR PRIMARY KEY,  -- of its content: sha256 over the sorted "pair_id content_sha256"
                                        -- lines of its pairs, first 16 hex digits (select_snapshot_id.sql)
    created_at    TIMESTAMP NOT NULL,
    path          VARCHAR NOT NULL,
    rules         JSON,                 -- the pair rules that selected the pairs
    counts        JSON,
    dagster_run_id VARCHAR,
    code_version  VARCHAR
);
-- When pair_snapshot last froze the selection into it, made or reused: the latest snapshot,
-- which training takes, is the last one frozen, even when that is an older one again (after
-- a forget request). Added here rather than above so older warehouses get it too; their
-- snapshots get their created_at once (update_snapshots_last_frozen_at.sql).
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS last_frozen_at TIMESTAMP;

-- What each frozen pair was made of, kept even after preference_pairs is rebuilt,
-- down to the dump file (or praw fetch) and line each comment came from.
CREATE TABLE IF NOT EXISTS snapshot_pairs (
    snapshot_id          VARCHAR NOT NULL,
    pair_id              VARCHAR NOT NULL,
    split                VARCHAR NOT NULL,
    post_id              VARCHAR NOT NULL,
    subreddit            VARCHAR,
    chosen_id            VARCHAR NOT NULL,
    rejected_id          VARCHAR NOT NULL,
    chosen_author        VARCHAR,
    rejected_author      VARCHAR,
    chosen_score         BIGINT,
    rejected_score       BIGINT,
    chosen_source        VARCHAR,
    chosen_source_line   BIGINT,
    rejected_source      VARCHAR,
    rejected_source_line BIGINT,
    PRIMARY KEY (snapshot_id, pair_id)
);
-- The sha256 of the pair's whole row in the snapshot's pairs.parquet (select_pair_row_sha256.sql),
-- from which the snapshot id is computed; NULL for snapshots recorded before it existed, whose
-- id covers the pair ids alone. Added here rather than above so older warehouses get it too.
ALTER TABLE snapshot_pairs ADD COLUMN IF NOT EXISTS content_sha256 VARCHAR;
-- The post's author, as in preference_pairs, and filled in the same way, once, for the pairs an
-- older warehouse froze (update_snapshot_pairs_post_author.sql).
ALTER TABLE snapshot_pairs ADD COLUMN IF NOT EXISTS post_author VARCHAR;

-- Deletion requests: a forgotten comment or author is left out of every later snapshot.
CREATE TABLE IF NOT EXISTS forget_requests (
    kind         VARCHAR NOT NULL,   -- "comment" or "author"
    value        VARCHAR NOT NULL,   -- a comment id (no "t1_") or an author name (lowercased)
    requested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    reason       VARCHAR,
    PRIMARY KEY (kind, value)
);

-- Each rebuild of preference_pairs: the rules it used and what each rule removed.
CREATE TABLE IF NOT EXISTS pair_builds (
    built_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    rules          JSON NOT NULL,
    report         JSON NOT NULL,
    dagster_run_id VARCHAR
);

-- Lineage: every training run, and every pair it saw (from the trainer's own manifest).
CREATE TABLE IF NOT EXISTS training_runs (
    run_id               VARCHAR PRIMARY KEY,  -- the trainer's run id (in training_manifest.json)
    dagster_run_id       VARCHAR,
    snapshot_id          VARCHAR NOT NULL,
    base_model           VARCHAR NOT NULL,
    base_model_sha256    VARCHAR,
    hyperparameters      JSON,
    model_path           VARCHAR NOT NULL,
    model_sha256         VARCHAR,
    code_version         VARCHAR,
    started_at           TIMESTAMP,
    finished_at          TIMESTAMP,
    status               VARCHAR NOT NULL,
    final_metrics        JSON
);
-- One sha256 over every model file's (config, tokenizer, chat template, weights; see
-- training.outputs.files_digest); NULL for runs recorded before it existed. Added here rather
-- than above so older warehouses get it too.
ALTER TABLE training_runs ADD COLUMN IF NOT EXISTS model_files_sha256 VARCHAR;

CREATE TABLE IF NOT EXISTS training_run_pairs (
    run_id      VARCHAR NOT NULL,
    pair_id     VARCHAR NOT NULL,
    epoch       INTEGER NOT NULL,   -- the epoch in which the run first saw the pair
    first_step  INTEGER NOT NULL,
    times_seen  INTEGER NOT NULL,
    PRIMARY KEY (run_id, pair_id)
);

-- Whether a text has a visible character: not only separators (spaces, U+00A0, U+3000,
-- line breaks), control or format characters (U+200B, U+FEFF). The pair rules and the
-- no_empty_text check both use it, so a text the build keeps never fails the check. A
-- regex stops at the first visible character; trim() over long texts is slow in DuckDB.
CREATE OR REPLACE MACRO has_visible_text(s) AS regexp_matches(s, '[^\p{Z}\p{Cc}\p{Cf}]');
