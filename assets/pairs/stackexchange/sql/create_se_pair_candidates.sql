-- Every pair of answers to one question, oriented higher score first, with the first rule
-- that removes it (NULL = kept so far), in the order of $steps: the question's rule, then
-- the earliest answer rule of either answer, then the pair rules. The score ratio is
-- chosen / rejected when the rejected answer scored >= 1; otherwise both scores are shifted
-- so that the rejected one counts as 1: (chosen - rejected + 1) / 1. So +3 over 0 is 4,
-- +1 over -1 is 3, and +1 over 0 is 2, each as strong as that many times the votes.
CREATE OR REPLACE TEMP TABLE se_pair_candidates AS
WITH pairs AS (
    SELECT a.site, a.question_id, q.removed_by AS question_removed,
           a.score >= b.score AS a_first, a, b,
           list_position($steps, a.removed_by) AS a_rank,
           list_position($steps, b.removed_by) AS b_rank
    FROM se_pair_answers AS a
    JOIN se_pair_answers AS b ON a.site = b.site AND a.question_id = b.question_id AND a.id < b.id
    JOIN se_pair_questions AS q ON q.site = a.site AND q.id = a.question_id
),
oriented AS (
    SELECT site, question_id, question_removed,
           if(a_first, a, b) AS c, if(a_first, b, a) AS r,
           coalesce(least(a_rank, b_rank), a_rank, b_rank) AS answer_rank
    FROM pairs
),
judged AS (
    SELECT site, question_id,
           c.id AS chosen_id, r.id AS rejected_id, c.score AS chosen_score, r.score AS rejected_score,
           c.dump_score AS chosen_dump_score, r.dump_score AS rejected_dump_score, c.by_horizon,
           c.created_at AS chosen_created_at, r.created_at AS rejected_created_at,
           c.accepted AS chosen_accepted, r.accepted AS rejected_accepted,
           if(r.score >= 1, c.score / r.score, (c.score - r.score + 1)::DOUBLE) AS score_ratio,
           CASE
               WHEN question_removed IS NOT NULL THEN question_removed
               WHEN answer_rank IS NOT NULL THEN $steps[answer_rank]
               WHEN c.score = r.score THEN 'score_tie'
               WHEN $later_must_win AND c.created_at <= r.created_at THEN 'earlier_won'
               WHEN score_ratio < $min_score_ratio THEN 'score_ratio'
               WHEN $accepted_never_rejected AND r.accepted THEN 'accepted_rejected'
           END AS removed_by
    FROM oriented
)
SELECT *,
       if(removed_by IS NULL,
          md5(site || ':' || question_id || ':' || chosen_id || ':' || rejected_id), NULL) AS pair_id
FROM judged;
