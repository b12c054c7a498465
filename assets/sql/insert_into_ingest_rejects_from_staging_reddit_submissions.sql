-- The staged lines that cannot be used, with their reason and raw bytes.
INSERT INTO ingest_rejects (source, line, kind, reason, raw)
SELECT source, source_line, 'submission', reject_reason, raw
FROM staging_reddit_submissions
WHERE reject_reason IS NOT NULL;
