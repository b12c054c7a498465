-- Score age: how old a row's score was when it was captured, so the pair rules can leave out
-- scores taken before the votes came in (PairRules.min_score_age_hours).

-- Seconds from creation to retrieval, NULL when either is unknown. A retrieval time before the
-- creation time counts as 0: the score was brand new, and the clock that stamped it was off (the
-- praw cassettes' recorded_at is the recording machine's local time, hours behind UTC, read as UTC).
-- (Not greatest(), which skips a NULL and would make an unknown age 0.)
CREATE MACRO score_age_s(retrieved_at, created_utc) AS
    CASE WHEN retrieved_at < created_utc THEN 0 ELSE retrieved_at - created_utc END;

ALTER TABLE reddit_submissions ADD COLUMN score_age_s BIGINT;
ALTER TABLE reddit_comments ADD COLUMN score_age_s BIGINT;

-- Rows stored before ingested_at existed may carry their ingest time as retrieved_at (0001), which
-- says nothing of when the score was taken: their age stays unknown.
UPDATE reddit_submissions SET score_age_s = score_age_s(retrieved_at, created_utc) WHERE ingested_at IS NOT NULL;
UPDATE reddit_comments SET score_age_s = score_age_s(retrieved_at, created_utc) WHERE ingested_at IS NOT NULL;

-- Each frozen pair's score ages, from the raw rows it was built from (lineage: not in the pair's
-- content digest, so the snapshot id does not depend on them).
ALTER TABLE snapshot_pairs ADD COLUMN chosen_score_age_s BIGINT;
ALTER TABLE snapshot_pairs ADD COLUMN rejected_score_age_s BIGINT;
