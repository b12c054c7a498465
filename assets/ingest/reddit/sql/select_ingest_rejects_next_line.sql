-- The first line number above every reject the source holds: where a live run numbers from,
-- so that its rejects never land on an earlier run's (live lines are fetch positions, which
-- move between runs, not identities as a dump's lines are).
SELECT coalesce(max(line), 0) + 1 FROM ingest_rejects WHERE source = $source;
