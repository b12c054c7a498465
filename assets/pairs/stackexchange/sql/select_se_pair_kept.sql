-- The pairs every rule kept, strongest first (the order dedup and the cap walk them in).
SELECT pair_id, site || ':' || question_id AS post_id, site, chosen_id, rejected_id
FROM se_pair_candidates
WHERE removed_by IS NULL
ORDER BY score_ratio DESC, chosen_score DESC, pair_id;
