-- Per subreddit, the kept pairs by how many of their two comments have a known score age
-- (unknown ones pass the score-age rule unless PairRules.drop_unknown_score_age).
SELECT s.subreddit,
       count(*) FILTER (WHERE ch.score_age_s IS NOT NULL AND rj.score_age_s IS NOT NULL) AS both_known,
       count(*) FILTER (WHERE (ch.score_age_s IS NULL) <> (rj.score_age_s IS NULL)) AS one_unknown,
       count(*) FILTER (WHERE ch.score_age_s IS NULL AND rj.score_age_s IS NULL) AS both_unknown
FROM pair_selection AS s
JOIN pair_comments AS ch ON ch.id = s.chosen_id
JOIN pair_comments AS rj ON rj.id = s.rejected_id
GROUP BY ALL;
