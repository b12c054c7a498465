-- The highest migration the warehouse has (0 while it has none).
SELECT coalesce(max(version), 0) FROM schema_version
