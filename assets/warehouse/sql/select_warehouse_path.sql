-- The file the connection has open, to name in a message.
SELECT path FROM duckdb_databases() WHERE database_name = current_database()
