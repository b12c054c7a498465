-- Second half: insert each staged id the table no longer (or never) held, one row per id:
-- the newest known retrieval, else (unknown: NULL) and on ties the later line; the staged
-- rows share one ingested_at. Ids still stored win (retrieval_wins): left alone.
-- In-source copies are ranked on the narrow columns alone and anti-joined: a QUALIFY over
-- the insert itself sorted whole rows, bodies included (10M comments under a 1 GB
-- memory_limit: 40.7 -> 18.3 s, as the wide sort spilled to disk).
INSERT INTO reddit_submissions BY NAME
WITH superseded AS (
    SELECT rowid AS staged_row FROM staging_reddit_submissions WHERE reject_reason IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY id ORDER BY retrieved_at DESC NULLS LAST, source_line DESC NULLS LAST
    ) > 1
)
SELECT * EXCLUDE (reject_reason, raw) FROM staging_reddit_submissions AS s
WHERE s.reject_reason IS NULL
    AND NOT EXISTS (SELECT 1 FROM reddit_submissions AS t WHERE t.id = s.id)
    AND s.rowid NOT IN (SELECT staged_row FROM superseded);
