-- The snapshot pair_snapshot last produced, made or reused.
SELECT snapshot_id, path
FROM snapshots
ORDER BY last_frozen_at DESC
LIMIT 1
