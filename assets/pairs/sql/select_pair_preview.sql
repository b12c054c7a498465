-- The strongest pairs, text cut short, for the asset's preview table.
SELECT subreddit, left(prompt, 60), left(chosen, 60), chosen_score,
       left(rejected, 60), rejected_score, split
FROM preference_pairs
ORDER BY score_ratio DESC, pair_id
LIMIT $limit
