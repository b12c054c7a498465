-- Per subreddit, among candidate pairs (siblings that passed the comment rules) with different
-- scores and different times: how many there are, and in how many the earlier comment scored
-- higher. The early-comment advantage that later_must_win removes: ~half when time does not
-- matter. Read before the pair rules are applied, so it does not depend on them.
SELECT subreddit,
       count(*) AS sibling_pairs,
       count(*) FILTER (WHERE chosen_created_utc < rejected_created_utc) AS earlier_scored_higher
FROM pair_candidates
WHERE chosen_score <> rejected_score AND chosen_created_utc <> rejected_created_utc
GROUP BY ALL;
