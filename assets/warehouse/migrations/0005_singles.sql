-- Single replies labelled by their votes (`preference_singles`, assets/singles): what KTO
-- learns from beside the pairs. Rebuilt whole by each singles build, like preference_pairs.
CREATE TABLE preference_singles (
    single_id        VARCHAR PRIMARY KEY,  -- md5(post_id:comment_id)
    post_id          VARCHAR NOT NULL,
    subreddit        VARCHAR,
    prompt           VARCHAR NOT NULL,
    comment_id       VARCHAR NOT NULL,
    completion       VARCHAR NOT NULL,
    author           VARCHAR,
    label            BOOLEAN NOT NULL,     -- true: desirable, false: undesirable
    score            BIGINT NOT NULL,
    thread_median    DOUBLE NOT NULL,      -- median score of the post's top-level comments
    post_created_utc BIGINT,
    created_utc      BIGINT NOT NULL,
    split            VARCHAR NOT NULL,     -- "train" or "eval": the pairs' split of the post
    post_author      VARCHAR               -- NULL: deleted (the prompt is their text)
);

CREATE TABLE single_builds (
    built_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    rules          JSON NOT NULL,
    report         JSON NOT NULL,
    dagster_run_id VARCHAR
);

-- Lineage: the singles each snapshot froze, beside snapshot_pairs. The snapshot id covers
-- both: the sha256 over one "<id> <row sha256>" line per pair and per single, in id order.
CREATE TABLE snapshot_singles (
    snapshot_id    VARCHAR NOT NULL,
    single_id      VARCHAR NOT NULL,
    split          VARCHAR NOT NULL,
    post_id        VARCHAR NOT NULL,
    subreddit      VARCHAR,
    comment_id     VARCHAR NOT NULL,
    author         VARCHAR,
    post_author    VARCHAR,
    label          BOOLEAN NOT NULL,
    score          BIGINT,
    source         VARCHAR,
    source_line    BIGINT,
    content_sha256 VARCHAR NOT NULL,  -- the sha256 of the single's whole row in singles.parquet
    PRIMARY KEY (snapshot_id, single_id)
);
CREATE INDEX snapshot_singles_comment_id ON snapshot_singles (comment_id);
CREATE INDEX snapshot_singles_author_lower ON snapshot_singles (lower(author));
CREATE INDEX snapshot_singles_post_author_lower ON snapshot_singles (lower(post_author));

-- Lineage: every single a training run saw (KTO on singles), beside training_run_pairs.
CREATE TABLE training_run_singles (
    run_id      VARCHAR NOT NULL,
    single_id   VARCHAR NOT NULL,
    epoch       INTEGER NOT NULL,   -- the epoch in which the run first saw the single
    first_step  INTEGER NOT NULL,
    times_seen  INTEGER NOT NULL,
    PRIMARY KEY (run_id, single_id)
);
CREATE INDEX training_run_singles_single_id ON training_run_singles (single_id);
