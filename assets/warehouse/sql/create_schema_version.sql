-- Which migrations (assets/warehouse/migrations/) this warehouse has, one row each.
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,      -- the migration's number
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    name       VARCHAR NOT NULL          -- the rest of its file name: 0001_initial.sql -> initial
);
