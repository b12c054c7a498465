-- Score-age coverage of the pairs being frozen (snapshot_pair_rows, registered by the caller),
-- one row per side: how many comments have a known score age, and its quantiles in hours, read
-- from the raw rows the pairs came from (as insert_into_snapshot_pairs.sql records them).
WITH ages AS (
    SELECT 'chosen' AS side, c.score_age_s / 3600 AS hours
    FROM snapshot_pair_rows AS p LEFT JOIN reddit_comments AS c ON c.id = p.chosen_id
    UNION ALL
    SELECT 'rejected', c.score_age_s / 3600
    FROM snapshot_pair_rows AS p LEFT JOIN reddit_comments AS c ON c.id = p.rejected_id
)
SELECT side,
       count(hours) AS known,
       count(*) - count(hours) AS unknown,
       min(hours) AS min_hours,
       quantile_cont(hours, [0.1, 0.5, 0.9]) AS quantile_hours
FROM ages
GROUP BY side
ORDER BY side;
