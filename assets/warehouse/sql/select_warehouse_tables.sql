-- The names of the warehouse's own tables (temporary ones are in the database "temp").
SELECT table_name
FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main'
