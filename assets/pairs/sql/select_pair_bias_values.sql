-- Each pair's length ratio (chosen / rejected characters), gap (hours the chosen reply came
-- after the rejected one) and score ratio, for the bias plots (bias_pairs: as in select_pair_bias.sql).
SELECT community,
       length(chosen) / length(rejected) AS length_ratio,
       (chosen_created_utc - rejected_created_utc) / 3600 AS gap_hours,
       score_ratio
FROM bias_pairs;
