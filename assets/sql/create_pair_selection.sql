-- Pairs that survived rules and dedup (dedup_removed: a registered relation of
-- pair_id, step), ranked per post strongest first for the per-post cap.
CREATE OR REPLACE TEMP TABLE pair_selection AS
SELECT pc.*,
       row_number() OVER (PARTITION BY pc.post_id
                          ORDER BY pc.score_ratio DESC, pc.chosen_score DESC, pc.pair_id) AS post_rank
FROM pair_candidates AS pc
ANTI JOIN dedup_removed AS d ON d.pair_id = pc.pair_id
WHERE pc.removed_by IS NULL;
