-- Length, timing and score-ratio figures of a set of pairs (bias_pairs, registered by the
-- caller: preference_pairs or a snapshot's selection), per community (a subreddit or a Stack
-- Exchange site) and for all together (is_total). Lengths are in characters of the texts as they read (the length-ratio rule's);
-- the gap is chosen minus rejected creation time, in hours (positive: the chosen reply came later).
WITH measured AS (
    SELECT community,
           length(chosen) AS chosen_chars,
           length(rejected) AS rejected_chars,
           length(chosen) / length(rejected) AS length_ratio,
           (chosen_created_utc - rejected_created_utc) / 3600 AS gap_hours,
           score_ratio
    FROM bias_pairs
)
SELECT community,
       grouping(community) = 1 AS is_total,
       count(*) AS pairs,
       count(*) FILTER (WHERE chosen_chars > rejected_chars) AS longer_chosen,
       count(*) FILTER (WHERE chosen_chars = rejected_chars) AS same_length,
       quantile_cont(length_ratio, [0.1, 0.5, 0.9]) AS length_ratio_quantiles,
       quantile_cont(gap_hours, [0.1, 0.5, 0.9]) AS gap_hours_quantiles,
       quantile_cont(score_ratio, [0.1, 0.5, 0.9]) AS score_ratio_quantiles
FROM measured
GROUP BY GROUPING SETS ((community), ())
ORDER BY is_total DESC, community;
