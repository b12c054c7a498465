-- The strongest pairs, text cut short, for the asset's preview table.
SELECT subreddit, left(prompt, 60) AS prompt, left(chosen, 60) AS chosen, chosen_score,
       left(rejected, 60) AS rejected, rejected_score, split
FROM preference_pairs
ORDER BY score_ratio DESC, pair_id
LIMIT $limit
