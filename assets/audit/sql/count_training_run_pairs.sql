-- What a run saw against what its snapshot held. A seen pair outside the snapshot's train
-- split would be a lineage error: it is counted so the audit shows it.
WITH seen AS (
    SELECT count(*) AS pairs_seen,
           count(*) FILTER (sp.split = 'train') AS train_pairs_seen,
           count(*) FILTER (sp.split IS DISTINCT FROM 'train') AS pairs_seen_outside_train_split,
           coalesce(sum(trp.times_seen), 0) AS times_seen_total,
           coalesce(max(trp.epoch) + 1, 0) AS epochs,
           count(*) FILTER (sp.forgotten_by IS NOT NULL) AS forgotten_pairs_seen
    FROM training_run_pairs AS trp
    LEFT JOIN audited_snapshot_pairs AS sp
        ON sp.snapshot_id = $snapshot_id AND sp.pair_id = trp.pair_id
    WHERE trp.run_id = $run_id
),
frozen AS (
    SELECT count(*) AS pairs, count(*) FILTER (split = 'train') AS train_pairs
    FROM snapshot_pairs
    WHERE snapshot_id = $snapshot_id
)
SELECT frozen.pairs AS snapshot_pairs,
       frozen.train_pairs AS snapshot_train_pairs,
       seen.pairs_seen,
       seen.train_pairs_seen,
       frozen.train_pairs - seen.train_pairs_seen AS train_pairs_not_seen,
       seen.pairs_seen_outside_train_split,
       seen.times_seen_total,
       seen.epochs,
       seen.forgotten_pairs_seen
FROM frozen, seen
