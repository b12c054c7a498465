INSERT INTO snapshots (snapshot_id, created_at, path, rules, counts, dagster_run_id, code_version)
VALUES ($snapshot_id, now(), $path, $rules, $counts, $dagster_run_id, $code_version)
ON CONFLICT (snapshot_id) DO NOTHING
