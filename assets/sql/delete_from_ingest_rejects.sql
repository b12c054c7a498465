-- A re-run of a partition replaces its rejects instead of appending to them.
DELETE FROM ingest_rejects WHERE source = ?;
