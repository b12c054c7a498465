-- A reused snapshot (the same id: the same content) keeps when it was made, by which run and
-- rules; it was frozen again now, into the folder just found or written.
INSERT INTO snapshots (snapshot_id, created_at, path, rules, counts, dagster_run_id, code_version, last_frozen_at)
VALUES ($snapshot_id, now(), $path, $rules, $counts, $dagster_run_id, $code_version, now())
ON CONFLICT (snapshot_id) DO UPDATE SET path = excluded.path, last_frozen_at = excluded.last_frozen_at
