"""The DuckDB warehouse: connection, schema and the resource the assets share."""
