-- Stack Exchange: the raw rows of a site's data dump (Posts, Votes, Comments, Users), one row
-- per (site, id), whichever dump of the site last held it (assets/ingest/stackexchange/).
-- `site` is the site's host name ("quantumcomputing.stackexchange.com"); ids are the dump's,
-- unique within a site only. Timestamps are UTC, as the dump writes them. `source` is
-- "stackexchange:<site>/<file>", `source_line` the 1-based line of the row in that file.
-- No PRIMARY KEY, as for the Reddit tables: the merge keeps (site, id) unique and checks it.
CREATE TABLE se_posts (
    site                 VARCHAR NOT NULL,
    id                   BIGINT NOT NULL,
    post_type_id         INTEGER NOT NULL,   -- 1 question, 2 answer, others (tag wikis, ...) kept as they are
    parent_id            BIGINT,             -- an answer's question
    accepted_answer_id   BIGINT,             -- on questions
    created_at           TIMESTAMP NOT NULL,
    score                BIGINT,             -- net votes on the dump date
    view_count           BIGINT,
    body                 VARCHAR USING COMPRESSION zstd,  -- HTML, as the site renders it
    owner_user_id        BIGINT,             -- NULL for a deleted account; -1 is the Community user
    owner_display_name   VARCHAR,            -- set where the account is gone
    last_edit_date       TIMESTAMP,
    title                VARCHAR,
    tags                 VARCHAR,            -- "<tag1><tag2>"
    answer_count         INTEGER,
    comment_count        INTEGER,
    closed_date          TIMESTAMP,
    community_owned_date TIMESTAMP,          -- set: community wiki
    content_license      VARCHAR,            -- "CC BY-SA 4.0" in dumps from 2019 on; NULL before
    source               VARCHAR NOT NULL,
    source_line          BIGINT NOT NULL,
    ingested_at          BIGINT NOT NULL     -- epoch seconds of the ingest that wrote the row
);

CREATE TABLE se_votes (
    site          VARCHAR NOT NULL,
    id            BIGINT NOT NULL,
    post_id       BIGINT NOT NULL,       -- may name a post deleted before the dump
    vote_type_id  INTEGER NOT NULL,      -- 1 accept, 2 up, 3 down, ...
    user_id       BIGINT,                -- only for favourites and bounties
    created_on    DATE NOT NULL,         -- the dump dates votes by day only
    bounty_amount INTEGER,
    source        VARCHAR NOT NULL,
    source_line   BIGINT NOT NULL,
    ingested_at   BIGINT NOT NULL
);

CREATE TABLE se_comments (
    site              VARCHAR NOT NULL,
    id                BIGINT NOT NULL,
    post_id           BIGINT NOT NULL,
    score             BIGINT,
    text              VARCHAR,
    created_at        TIMESTAMP,
    user_id           BIGINT,
    user_display_name VARCHAR,
    content_license   VARCHAR,
    source            VARCHAR NOT NULL,
    source_line       BIGINT NOT NULL,
    ingested_at       BIGINT NOT NULL
);

-- Who wrote what, for attribution and the audit; profile text (AboutMe, Location,
-- WebsiteUrl) is not kept: nothing here needs it.
CREATE TABLE se_users (
    site         VARCHAR NOT NULL,
    id           BIGINT NOT NULL,
    display_name VARCHAR,
    reputation   BIGINT,
    created_at   TIMESTAMP,
    account_id   BIGINT,               -- the network-wide account, the same on every site
    source       VARCHAR NOT NULL,
    source_line  BIGINT NOT NULL,
    ingested_at  BIGINT NOT NULL
);

-- The licence of a post or comment: the dump's own field where it has one (dumps from 2019
-- on), else by date, as Stack Exchange licensed content: CC BY-SA 3.0 before 2018-05-02 UTC,
-- CC BY-SA 4.0 from then on.
CREATE MACRO se_license(content_license, created_at) AS
    coalesce(content_license, if(created_at < TIMESTAMP '2018-05-02', 'CC BY-SA 3.0', 'CC BY-SA 4.0'));

-- Answer-vs-answer preference pairs of the Stack Exchange sites (assets/pairs/stackexchange/),
-- rebuilt whole by each build. The first columns mean what preference_pairs' do (a question
-- is the post, an answer the comment), then what attribution and the score's age need.
CREATE TABLE stackexchange_pairs (
    pair_id              VARCHAR PRIMARY KEY,  -- md5(site:question:chosen:rejected)
    post_id              VARCHAR NOT NULL,     -- "<site>:<question id>"
    community            VARCHAR NOT NULL,     -- the site
    prompt               VARCHAR NOT NULL,     -- the question's title and body, as Markdown
    chosen_id            VARCHAR NOT NULL,     -- "<site>:<answer id>"
    rejected_id          VARCHAR NOT NULL,
    chosen               VARCHAR NOT NULL,     -- the answer as Markdown
    rejected             VARCHAR NOT NULL,
    chosen_author        VARCHAR,              -- display name; NULL when unknown
    rejected_author      VARCHAR,
    chosen_score         BIGINT NOT NULL,      -- as scored for the pair: see score_basis
    rejected_score       BIGINT NOT NULL,
    score_ratio          DOUBLE NOT NULL,      -- see docs/stackexchange.md for scores <= 0
    post_created_utc     BIGINT,
    chosen_created_utc   BIGINT NOT NULL,
    rejected_created_utc BIGINT NOT NULL,
    split                VARCHAR NOT NULL,     -- "train" or "eval", by hash of post_id
    post_author          VARCHAR,
    source               VARCHAR NOT NULL,     -- "stackexchange"
    question_id          BIGINT NOT NULL,
    post_author_id       BIGINT,               -- the site's user ids: NULL for deleted accounts
    chosen_author_id     BIGINT,
    rejected_author_id   BIGINT,
    -- "votes_within_horizon": up minus down votes dated within score_horizon_days of the
    -- answer's day; "dump_date": the Score on the dump date (the site has no Votes.xml).
    score_basis          VARCHAR NOT NULL,
    score_horizon_days   INTEGER,              -- NULL with dump_date
    chosen_dump_score    BIGINT,
    rejected_dump_score  BIGINT,
    chosen_accepted      BOOLEAN NOT NULL,
    rejected_accepted    BOOLEAN NOT NULL,
    question_url         VARCHAR NOT NULL,     -- https://<site>/q/<id>
    chosen_url           VARCHAR NOT NULL,     -- https://<site>/a/<id>
    rejected_url         VARCHAR NOT NULL,
    post_license         VARCHAR NOT NULL,     -- se_license of each post
    chosen_license       VARCHAR NOT NULL,
    rejected_license     VARCHAR NOT NULL
);

-- One pair table for every source: each pair says where it came from, `source` ("reddit",
-- "stackexchange") and `community` (the subreddit or the site), after the columns it had.
-- Each source's build replaces its own rows only. A Stack Exchange pair's chosen_id and
-- rejected_id are "<site>:<answer id>", never a Reddit comment's id.
ALTER TABLE preference_pairs ADD COLUMN source VARCHAR DEFAULT 'reddit';
ALTER TABLE preference_pairs ADD COLUMN community VARCHAR;
UPDATE preference_pairs SET community = subreddit;
ALTER TABLE snapshot_pairs ADD COLUMN source VARCHAR DEFAULT 'reddit';
ALTER TABLE snapshot_pairs ADD COLUMN community VARCHAR;
UPDATE snapshot_pairs SET community = subreddit;

-- Each rebuild of the Stack Exchange pairs: the rules it used and what each rule removed
-- (as pair_builds for Reddit's).
CREATE TABLE stackexchange_pair_builds (
    built_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    rules    JSON NOT NULL,
    report   JSON NOT NULL
);
