-- The staged lines that cannot be used, with their reason and raw bytes, over any earlier
-- reject of the same line (reddit_rows.drop_earlier_rejects removes the rest). Returns the lines.
INSERT OR REPLACE INTO ingest_rejects (source, line, kind, reason, raw, rejected_at)
SELECT source, source_line, 'submission', reject_reason, raw, current_timestamp
FROM staging_reddit_submissions
WHERE reject_reason IS NOT NULL
RETURNING line;
