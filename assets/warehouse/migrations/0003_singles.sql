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
