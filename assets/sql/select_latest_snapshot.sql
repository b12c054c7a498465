SELECT snapshot_id, path
FROM snapshots
ORDER BY created_at DESC
LIMIT 1
