-- A completed run of a partition replaces its rejects: delete the source's rejects it did not
-- write (`kept_reject_lines`, registered by the caller: the lines it rejected, each written over
-- any earlier reject of that line), whatever their kind: a live day's posts and comments share
-- one source, and a dump file re-ingested under its name may hold the other kind now.
DELETE FROM ingest_rejects
WHERE source = $source AND line NOT IN (SELECT line FROM kept_reject_lines);  -- a hash anti-join
