-- A re-run of a partition replaces its rejects instead of appending to them. By kind too:
-- a live day's posts and comments writers share one source, each merging its own rejects.
DELETE FROM ingest_rejects WHERE source = ? AND kind = ?;
