-- Every top-level comment (pairs.rules' pair_comments: the pairs' filters already applied)
-- with its thread's median top-level score, its label and the first step (in $steps order)
-- that removes it; removed_by NULL = a single. The pairs' own score floor (comment_score)
-- does not apply: a reply voted below zero is what an undesirable single is. A reply scored
-- neither clearly up nor clearly down (or without a score) is 'no_clear_vote'.
CREATE OR REPLACE TEMP TABLE single_candidates AS
WITH medians AS (
    SELECT post_id, median(score) AS thread_median
    FROM pair_comments
    GROUP BY post_id
),
labelled AS (
    SELECT c.*, m.thread_median,
           CASE
               WHEN c.score >= $desirable_min_score
                    AND c.score >= $desirable_median_multiple * m.thread_median THEN true
               WHEN c.score <= $undesirable_max_score
                    OR c.score <= $undesirable_median_fraction * m.thread_median THEN false
           END AS label
    FROM pair_comments AS c
    JOIN medians AS m USING (post_id)
)
SELECT id, post_id, subreddit, author, body, score, created_utc, thread_median, label,
       CASE
           WHEN removed_by IS NOT NULL AND removed_by <> 'comment_score' THEN removed_by
           WHEN label IS NULL THEN 'no_clear_vote'
       END AS removed_by
FROM labelled;
