-- Second half: insert each staged id the table no longer (or never) held, one row per id:
-- the newest known retrieval, else (unknown: NULL) and on ties the later line; the staged
-- rows share one ingested_at. Ids still stored win (retrieval_wins): left alone.
-- In-source copies are ranked on the narrow columns alone and anti-joined: a QUALIFY over
-- the insert itself sorts whole rows, bodies included, which spills to disk under a tight
-- memory_limit.
-- {reddit_table}: reddit_comments or reddit_submissions, filled in from rows.TABLES only.
INSERT INTO {reddit_table} BY NAME
WITH superseded AS (
    SELECT rowid AS staged_row FROM staging_{reddit_table} WHERE reject_reason IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY id ORDER BY retrieved_at DESC NULLS LAST, source_line DESC NULLS LAST
    ) > 1
)
SELECT * EXCLUDE (reject_reason, raw) FROM staging_{reddit_table} AS s
WHERE s.reject_reason IS NULL
    AND NOT EXISTS (SELECT 1 FROM {reddit_table} AS t WHERE t.id = s.id)
    AND s.rowid NOT IN (SELECT staged_row FROM superseded);
