-- The pairs that passed every rule, strongest first (the order dedup and the per-post
-- cap keep in), as indexes into pair_texts.
SELECT pc.pair_id, pc.post_id, ch.text_idx AS chosen_idx, rj.text_idx AS rejected_idx
FROM pair_candidates AS pc
JOIN pair_texts AS ch ON ch.id = pc.chosen_id
JOIN pair_texts AS rj ON rj.id = pc.rejected_id
WHERE pc.removed_by IS NULL
ORDER BY pc.score_ratio DESC, pc.chosen_score DESC, pc.pair_id;
