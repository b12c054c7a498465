-- Whether the warehouse has what create_warehouse_tables.sql adds to an older one: its newest
-- column, snapshot_pairs.post_author (which the audit's queries read).
SELECT count(*) > 0
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
  AND table_name = 'snapshot_pairs' AND column_name = 'post_author'
