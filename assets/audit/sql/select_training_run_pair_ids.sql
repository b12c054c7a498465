-- The pairs a run is recorded to have seen, and how many of them were not train pairs of
-- its snapshot (which would break the lineage).
SELECT trp.pair_id, sp.split IS DISTINCT FROM 'train' AS outside_train_split
FROM training_run_pairs AS trp
LEFT JOIN snapshot_pairs AS sp ON sp.snapshot_id = $snapshot_id AND sp.pair_id = trp.pair_id
WHERE trp.run_id = $run_id
