-- A pair's two comments, their scores and how old each score was when retrieved (hours; NULL:
-- unknown): as its newest snapshot froze them, else as the current pairs and raw rows have them.
WITH frozen AS (
    SELECT 'snapshot ' || sp.snapshot_id AS as_of, sp.chosen_id, sp.rejected_id,
           sp.chosen_score, sp.rejected_score,
           sp.chosen_score_age_s / 3600 AS chosen_score_age_hours,
           sp.rejected_score_age_s / 3600 AS rejected_score_age_hours
    FROM snapshot_pairs AS sp
    JOIN snapshots AS s USING (snapshot_id)
    WHERE sp.pair_id = $pair
    ORDER BY s.created_at DESC, sp.snapshot_id
    LIMIT 1
),
current AS (
    SELECT 'current pairs' AS as_of, p.chosen_id, p.rejected_id, p.chosen_score, p.rejected_score,
           chosen.score_age_s / 3600 AS chosen_score_age_hours,
           rejected.score_age_s / 3600 AS rejected_score_age_hours
    FROM preference_pairs AS p
    LEFT JOIN reddit_comments AS chosen ON chosen.id = p.chosen_id
    LEFT JOIN reddit_comments AS rejected ON rejected.id = p.rejected_id
    WHERE p.pair_id = $pair
)
SELECT * FROM frozen
UNION ALL
SELECT * FROM current WHERE NOT EXISTS (SELECT 1 FROM frozen)
