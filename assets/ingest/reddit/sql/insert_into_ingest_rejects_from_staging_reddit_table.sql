-- The staged lines that cannot be used, with their reason and raw bytes, in place of any
-- earlier reject of the same line (a dump re-ingested; rows.drop_earlier_rejects removes the
-- rest once the run completes). Returns the lines written: what the merge hands to
-- drop_earlier_rejects. Delete then insert: INSERT OR REPLACE held more memory per reject.
-- $kind is bound ("comment" or "submission"); DuckDB binds parameters in the last statement
-- only, so the insert comes last.
-- {reddit_table}: reddit_comments or reddit_submissions, filled in from rows.TABLES only.
DELETE FROM ingest_rejects
WHERE (source, line) IN (SELECT (source, source_line) FROM staging_{reddit_table} WHERE reject_reason IS NOT NULL);
INSERT INTO ingest_rejects (source, line, kind, reason, raw)
SELECT source, source_line, $kind, reject_reason, raw
FROM staging_{reddit_table}
WHERE reject_reason IS NOT NULL
RETURNING line;
