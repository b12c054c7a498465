-- Whether the warehouse has every column create_warehouse_tables.sql adds to an older one
-- (its ALTER TABLE ... ADD COLUMN lines; a test keeps this list in step with them), which
-- the audit's read-only queries read.
SELECT count(*) = 7
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
  AND (table_name, column_name) IN (VALUES ('snapshots', 'last_frozen_at'),
                                           ('snapshot_pairs', 'content_sha256'),
                                           ('snapshot_pairs', 'post_author'),
                                           ('preference_pairs', 'post_author'),
                                           ('training_runs', 'model_files_sha256'),
                                           ('reddit_submissions', 'ingested_at'),
                                           ('reddit_comments', 'ingested_at'))
