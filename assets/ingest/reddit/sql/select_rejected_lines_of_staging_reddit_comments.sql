-- The staged lines that cannot be used: what this merge writes to ingest_rejects.
SELECT source_line FROM staging_reddit_comments WHERE reject_reason IS NOT NULL;
