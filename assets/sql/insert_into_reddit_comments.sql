-- Second half: insert each staged id the table no longer (or never) held, one row per id:
-- the newest retrieval, ties to the later line. Ids still stored are newer: left alone.
INSERT INTO reddit_comments BY NAME
SELECT * EXCLUDE (reject_reason, raw) FROM staging_reddit_comments AS s
WHERE s.reject_reason IS NULL
    AND NOT EXISTS (SELECT 1 FROM reddit_comments AS t WHERE t.id = s.id)
QUALIFY row_number() OVER (
    PARTITION BY id ORDER BY retrieved_at DESC, source_line DESC NULLS LAST
) = 1;
