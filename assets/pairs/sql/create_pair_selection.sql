-- Pairs that survived the rules, dedup and the per-post cap (dedup_removed: a
-- registered relation of pair_id, step).
CREATE OR REPLACE TEMP TABLE pair_selection AS
SELECT pc.*
FROM pair_candidates AS pc
ANTI JOIN dedup_removed AS d ON d.pair_id = pc.pair_id
WHERE pc.removed_by IS NULL;
