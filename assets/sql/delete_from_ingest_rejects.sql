-- A re-run of a partition replaces its rejects instead of appending to them: all of the
-- source's ($kind NULL) for a dump file, which holds one kind, though re-ingested under its
-- name it may hold the other one now; of $kind only for a live day, whose posts and comments
-- writers share one source, each merging its own rejects.
DELETE FROM ingest_rejects WHERE source = $source AND kind = coalesce($kind, kind);
