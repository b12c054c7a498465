-- Each answer's score for the pairs. With $horizon_days > 0 and the site's votes ingested:
-- its up (VoteTypeId 2) minus down (3) votes dated up to $horizon_days days after the day
-- it was posted. The dump dates votes by day (midnight UTC), so the window is counted in
-- whole days: a vote on the answer's own day or any of the $horizon_days days after counts,
-- which is between $horizon_days and $horizon_days + 1 days of voting. An answer whose
-- window ends after the site's last vote day (the dump's) had not had all of it:
-- horizon_not_reached. Otherwise the dump-date Score.
CREATE OR REPLACE TEMP TABLE se_pair_scores AS
WITH voted_sites AS (
    SELECT site, max(created_on) AS last_vote_day FROM se_votes GROUP BY site
),
answers AS (
    SELECT a.site, a.id, a.score AS dump_score, v.last_vote_day,
           a.created_at::DATE + $horizon_days::INTEGER AS horizon_day,
           $horizon_days > 0 AND v.last_vote_day IS NOT NULL AS by_horizon
    FROM se_posts AS a
    LEFT JOIN voted_sites AS v USING (site)
    WHERE a.post_type_id = 2
),
counted AS (
    SELECT a.site, a.id, sum(if(v.vote_type_id = 2, 1, -1)) AS votes_score
    FROM answers AS a
    JOIN se_votes AS v ON v.site = a.site AND v.post_id = a.id
    WHERE a.by_horizon AND v.vote_type_id IN (2, 3) AND v.created_on <= a.horizon_day
    GROUP BY a.site, a.id
)
SELECT a.site, a.id, a.dump_score, a.by_horizon,
       if(a.by_horizon, coalesce(c.votes_score, 0), a.dump_score) AS score,
       a.by_horizon AND a.horizon_day > a.last_vote_day AS horizon_not_reached
FROM answers AS a
LEFT JOIN counted AS c USING (site, id);
