-- The baseline: the warehouse as it stood when schema versions began. A warehouse made before
-- then, with exactly these tables, columns, indexes and macros, is stamped at this version
-- without running it (assets/warehouse/schema.py). Never edit a released migration: a
-- warehouse that has it never runs it again, so the change would reach new warehouses only;
-- the next change is the next number.

-- Raw tables: one row per Reddit id, whichever source (dump or praw) saw it.
-- created_utc, retrieved_at and ingested_at are epoch seconds; author NULL means deleted.
-- No PRIMARY KEY: DuckDB keeps a key's index in memory and rebuilds it on every bulk
-- write, which slows each ingest and re-ingest; the merge keeps ids unique and checks it
-- for every partition (count_copies_of_staged_*.sql).
CREATE TABLE reddit_submissions (
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
    source_line   BIGINT,               -- 1-based line in the dump; NULL for praw
    ingested_at   BIGINT                -- see reddit_comments.ingested_at
);

CREATE TABLE reddit_comments (
    id            VARCHAR NOT NULL,     -- base36 id, no "t1_" prefix
    post_id       VARCHAR NOT NULL,     -- link_id without its "t3_" prefix
    parent_id     VARCHAR,              -- as Reddit gives it: "t3_..." (top level) or "t1_..."
    subreddit     VARCHAR,
    author        VARCHAR,
    body          VARCHAR USING COMPRESSION zstd,  -- not DuckDB's default FSST: faster to
                                                   -- write and smaller for comment bodies
    score         BIGINT,
    created_utc   BIGINT,
    score_hidden  BOOLEAN,
    stickied      BOOLEAN,
    distinguished VARCHAR,
    edited        BOOLEAN,
    retrieved_at  BIGINT,
    source        VARCHAR NOT NULL,
    source_line   BIGINT,
    -- When this version was ingested (the start of its dump ingest or praw fetch): what ranks
    -- two versions whose retrieval time is unknown. NULL on rows ingested before the column
    -- existed; their retrieved_at (then the ingest time for lines that carried none) counts
    -- as known, since nothing tells those rows apart.
    ingested_at   BIGINT
);

-- Whether a version of a row (its retrieved_at and ingested_at) replaces the stored one of the
-- same id: a known retrieval time always beats an unknown one (an old dump without them,
-- ingested after a newer fetch, must not take its place), the newest known one wins, and
-- between unknown ones the later ingest. Ties replace: a re-run rewrites its own rows.
CREATE MACRO retrieval_wins(retrieved_at, ingested_at, stored_retrieved_at, stored_ingested_at) AS
    CASE WHEN retrieved_at IS NOT NULL THEN retrieved_at >= coalesce(stored_retrieved_at, retrieved_at)
         ELSE stored_retrieved_at IS NULL AND ingested_at >= coalesce(stored_ingested_at, ingested_at)
    END;

-- Lines that could not be ingested, kept whole so nothing is lost.
CREATE TABLE ingest_rejects (
    source      VARCHAR NOT NULL,
    line        BIGINT NOT NULL,
    kind        VARCHAR NOT NULL,       -- "comment" or "submission"
    reason      VARCHAR NOT NULL,
    raw         BLOB,
    rejected_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (source, line)
);

-- The inserts are positional and the row digests (snapshot ids) follow the column order:
-- a migration that adds a column here adds it last, and so must every writer.
CREATE TABLE preference_pairs (
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
    split                VARCHAR NOT NULL,     -- "train" or "eval", by hash of post_id
    post_author          VARCHAR               -- NULL: deleted. The prompt is their text, so
                                               -- forgetting an author also leaves out the
                                               -- pairs under their posts.
);

-- Lineage: every snapshot and the pairs frozen into it, written with the snapshot itself.
CREATE TABLE snapshots (
    snapshot_id   VARCHAR PRIMARY KEY,  -- of its content: sha256 over the sorted "pair_id content_sha256"
                                        -- lines of its pairs, first 16 hex digits (select_snapshot_id.sql)
    created_at    TIMESTAMP NOT NULL,
    path          VARCHAR NOT NULL,
    rules         JSON,                 -- the pair rules that selected the pairs
    counts        JSON,
    dagster_run_id VARCHAR,
    code_version  VARCHAR,
    -- When pair_snapshot last froze the selection into it, made or reused: the latest snapshot,
    -- which training takes, is the last one frozen, even when that is an older one again
    -- (after a forget request).
    last_frozen_at TIMESTAMP
);

-- What each frozen pair was made of, kept even after preference_pairs is rebuilt,
-- down to the dump file (or praw fetch) and line each comment came from.
CREATE TABLE snapshot_pairs (
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
    -- The sha256 of the pair's whole row in the snapshot's pairs.parquet (select_pair_row_sha256.sql),
    -- from which the snapshot id is computed; NULL in snapshots whose id covers the pair ids alone.
    content_sha256       VARCHAR,
    post_author          VARCHAR,       -- as in preference_pairs
    PRIMARY KEY (snapshot_id, pair_id)
);

-- Deletion requests: a forgotten comment or author is left out of every later snapshot.
CREATE TABLE forget_requests (
    kind         VARCHAR NOT NULL,   -- "comment" or "author"
    value        VARCHAR NOT NULL,   -- a comment id (no "t1_") or an author name (lowercased)
    requested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    reason       VARCHAR,
    PRIMARY KEY (kind, value)
);

-- Each rebuild of preference_pairs: the rules it used and what each rule removed.
CREATE TABLE pair_builds (
    built_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    rules          JSON NOT NULL,
    report         JSON NOT NULL,
    dagster_run_id VARCHAR
);

-- Lineage: every training run, and every pair it saw (from the trainer's own manifest).
CREATE TABLE training_runs (
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
    final_metrics        JSON,
    -- One sha256 over every model file's (config, tokenizer, chat template, weights; see
    -- training.outputs.files_digest); NULL for runs recorded without it.
    model_files_sha256   VARCHAR
);

CREATE TABLE training_run_pairs (
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
CREATE MACRO has_visible_text(s) AS regexp_matches(s, '[^\p{Z}\p{Cc}\p{Cf}]');

-- The audit's reverse look-ups (which snapshots and runs used a pair, comment or author)
-- read these instead of scanning the lineage tables, for a little more time spent writing
-- each snapshot and run (benchmarks/audit.py measures both).
-- Authors are looked up in any case (Reddit names are case-insensitive), so their indexes
-- are on the lowercased name.
CREATE INDEX snapshot_pairs_pair_id ON snapshot_pairs (pair_id);
CREATE INDEX snapshot_pairs_chosen_id ON snapshot_pairs (chosen_id);
CREATE INDEX snapshot_pairs_rejected_id ON snapshot_pairs (rejected_id);
CREATE INDEX snapshot_pairs_chosen_author_lower ON snapshot_pairs (lower(chosen_author));
CREATE INDEX snapshot_pairs_rejected_author_lower ON snapshot_pairs (lower(rejected_author));
CREATE INDEX snapshot_pairs_post_author_lower ON snapshot_pairs (lower(post_author));
CREATE INDEX training_run_pairs_pair_id ON training_run_pairs (pair_id);
