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
