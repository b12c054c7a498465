-- What the migrations define, one row per object: (kind, owner (its table, or the macro's
-- name), name, definition), as DuckDB reads it back from its catalog. Two warehouses whose
-- rows are equal were made by the same schema; schema_version itself is left out.
SELECT 'column' AS kind, table_name AS owner, column_name AS name,
       concat_ws(' ', column_index, data_type, CASE WHEN is_nullable THEN 'NULL' ELSE 'NOT NULL' END,
                 'DEFAULT ' || column_default) AS definition
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
UNION ALL
SELECT 'constraint', table_name, constraint_type, constraint_text
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
