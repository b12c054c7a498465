-- The staged lines that cannot be used, with their reason and raw bytes, in place of any
-- earlier reject of the same line (a dump re-ingested; reddit_rows.drop_earlier_rejects
-- removes the rest once the run completes). Delete then insert: INSERT OR REPLACE held
-- ~0.25 GB more per million rejects.
DELETE FROM ingest_rejects
WHERE (source, line) IN (SELECT (source, source_line) FROM staging_reddit_comments WHERE reject_reason IS NOT NULL);
INSERT INTO ingest_rejects (source, line, kind, reason, raw)
SELECT source, source_line, 'comment', reject_reason, raw
FROM staging_reddit_comments
WHERE reject_reason IS NOT NULL;
