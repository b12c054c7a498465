SELECT snapshot_id, created_at, path, rules, counts, dagster_run_id, code_version
FROM snapshots
WHERE snapshot_id = $snapshot_id
