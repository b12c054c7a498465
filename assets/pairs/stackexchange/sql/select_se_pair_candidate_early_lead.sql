-- Per site, among candidate pairs whose question and answers passed their rules (any score
-- ratio, before later_must_win: a pair removed only by one of the $pair_steps still counts),
-- with different scores and different times: how many there are, and in how many the earlier
-- answer scored higher (chosen is the higher-scored side). As select_pair_candidate_early_lead.sql
-- for Reddit: the early-answer advantage that later_must_win removes.
SELECT site,
       count(*) AS sibling_pairs,
       count(*) FILTER (WHERE chosen_created_at < rejected_created_at) AS earlier_scored_higher
FROM se_pair_candidates
WHERE (removed_by IS NULL OR list_contains($pair_steps, removed_by))
  AND chosen_score <> rejected_score AND chosen_created_at <> rejected_created_at
GROUP BY ALL
ORDER BY site;
