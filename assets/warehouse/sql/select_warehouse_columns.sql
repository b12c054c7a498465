-- (table, column) of every column of the warehouse's tables.
SELECT table_name, column_name
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
