-- The warehouse's schema, one row per object: (kind, owner (its table, or the macro's name),
-- name, definition), as DuckDB reads it back from its catalog, so the same schema gives the
-- same rows however its SQL was written. NOT NULL is in the column's definition.
SELECT 'column' AS kind, table_name AS owner, column_name AS name,
       concat_ws(' ', column_index, data_type, CASE WHEN is_nullable THEN 'NULL' ELSE 'NOT NULL' END,
                 'DEFAULT ' || column_default) AS definition
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
UNION ALL
SELECT 'constraint', table_name, constraint_text, constraint_type
FROM duckdb_constraints()
WHERE database_name = current_database() AND schema_name = 'main' AND constraint_type <> 'NOT NULL'
UNION ALL
SELECT 'index', table_name, index_name, sql
FROM duckdb_indexes()
WHERE database_name = current_database() AND schema_name = 'main'
UNION ALL
SELECT 'macro', function_name, function_name, concat(parameters::VARCHAR, ' ', macro_definition)
FROM duckdb_functions()
WHERE database_name = current_database() AND schema_name = 'main' AND function_type = 'macro' AND NOT internal
