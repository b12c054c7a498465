-- The strongest votes of each label, for the asset's preview.
SELECT label, subreddit, score, thread_median, left(prompt, 80) AS prompt, left(completion, 120) AS completion
FROM preference_singles
ORDER BY label DESC, abs(score - thread_median) DESC, single_id
LIMIT $limit;
